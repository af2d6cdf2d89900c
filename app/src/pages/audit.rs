//! Audit log screen (admins): who did what, when, newest first.

use leptos::prelude::*;
use leptos_meta::Title;
use model::format_time;

use crate::api::audit::list_audit;

#[component]
pub fn AuditPage() -> impl IntoView {
    let before = RwSignal::new(None::<i64>);
    let entries = Resource::new(move || before.get(), list_audit);
    view! {
        <Title text="Audit log"/>
        <section class="page">
            <h1>"Audit log"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(rows) => {
                            let next = (rows.len() == 100).then(|| rows.last().map(|r| r.id)).flatten();
                            view! {
                                <div class="table-wrap">
                                    <table>
                                        <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Target"</th><th>"Detail"</th></tr></thead>
                                        <tbody>
                                            {rows.into_iter().map(|r| view! {
                                                <tr>
                                                    <td>{format_time(r.at)}</td>
                                                    <td>{r.actor}</td>
                                                    <td>{r.action}</td>
                                                    <td>{r.target.unwrap_or_default()}</td>
                                                    <td>{r.detail.unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {next.map(|id| view! {
                                    <button type="button" on:click=move |_| before.set(Some(id))>"Older entries"</button>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}
