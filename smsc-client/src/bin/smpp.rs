//! The `smpp` command-line tool.
fn main() {}
