//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the files it finds at
//! compile time, and cargo sees only changes to files it already knows without this.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
