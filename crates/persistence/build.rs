//! `embed_migrations!` reads `migrations/` at compile time; without this, adding a
//! migration directory would not rebuild the crate and binaries would run stale SQL.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
