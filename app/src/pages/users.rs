//! Users screen (admins): list people, create accounts, change roles, disable and enable,
//! reset passwords.

use leptos::prelude::*;
use leptos_meta::Title;
use model::{Role, UserView};

use crate::api::users::{list_users, CreateUser, ResetUserPassword, SetUserDisabled, SetUserRole};
use crate::pages::auth::action_error;

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_disabled = ServerAction::<SetUserDisabled>::new();
    let reset = ServerAction::<ResetUserPassword>::new();
    // A lazy chunk, hydrated after the rest of the app: until then "Add user" would post the
    // plain form (the user is added, the page reloads, no message). `data-ready` says when
    // the form is live.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                set_role.version().get(),
                set_disabled.version().get(),
            )
        },
        |_| list_users(),
    );

    view! {
        <Title text="Users"/>
        <section class="page">
            <h1>"Users"</h1>
            {action_error(set_role.value())}
            {action_error(set_disabled.value())}
            {action_error(reset.value())}
            {move || reset.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="ok" role="status">"Password changed; that user was signed out everywhere."</p>
            })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="userlist">
                                {list.into_iter().map(|u| view! {
                                    <UserRow user=u set_role set_disabled reset/>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>

            <h2>"Add a user"</h2>
            <ActionForm
                action=create
                attr:class="form stacked"
                attr:data-ready=move || ready.get().to_string()
            >
                <label for="new-email">"Email"</label>
                <input id="new-email" name="email" type="email" required autocomplete="off"/>
                <label for="new-role">"Role"</label>
                <select id="new-role" name="role">
                    <option value="agent">"Agent: works the inbox"</option>
                    <option value="editor">"Editor: builds and publishes messages"</option>
                    <option value="admin">"Admin: everything, including setup and users"</option>
                </select>
                <label for="new-password">"Initial password (at least 10 characters)"</label>
                <input id="new-password" name="password" type="password" minlength="10" required autocomplete="new-password"/>
                <button type="submit" disabled=create.pending()>"Add user"</button>
            </ActionForm>
            {action_error(create.value())}
            {move || create.value().get().and_then(|r| r.ok()).map(|u| view! {
                <p class="ok" role="status">{format!("Added {} as {}.", u.email, u.role)}</p>
            })}
        </section>
    }
}

#[component]
fn UserRow(
    user: UserView,
    set_role: ServerAction<SetUserRole>,
    set_disabled: ServerAction<SetUserDisabled>,
    reset: ServerAction<ResetUserPassword>,
) -> impl IntoView {
    let id = user.id;
    let disabled = user.disabled;
    let role_label = format!("Role of {}", user.email);
    let password_label = format!("New password for {}", user.email);
    view! {
        <li class="user" class:disabled=disabled data-email=user.email.clone()>
            <strong>{user.email.clone()}</strong>
            {disabled.then(|| view! { <span class="badge">"disabled"</span> })}
            <select
                aria-label=role_label
                on:change=move |ev| {
                    set_role.dispatch(SetUserRole { id, role: event_target_value(&ev) });
                }
            >
                {Role::ALL.into_iter().map(|r| view! {
                    <option value=r.as_str() selected=r == user.role>{r.as_str()}</option>
                }).collect_view()}
            </select>
            <button
                type="button"
                on:click=move |_| { set_disabled.dispatch(SetUserDisabled { id, disabled: !disabled }); }
            >
                {if disabled { "Enable" } else { "Disable" }}
            </button>
            <ActionForm action=reset attr:class="form inline">
                <input type="hidden" name="id" value=id/>
                <input name="password" type="password" minlength="10" required
                    aria-label=password_label placeholder="new password" autocomplete="new-password"/>
                <button type="submit">"Reset password"</button>
            </ActionForm>
        </li>
    }
}
