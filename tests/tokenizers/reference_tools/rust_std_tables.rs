// Prints what Rust std decides for every scalar value, where HF tokenizers calls it: "lower CP L..." for each
// code point char::to_lowercase changes, "numeric CP" for each char::is_numeric one (hex), and
// char::UNICODE_VERSION on stderr. Input of make_char_classes.py.
//   rustc -O -o /tmp/rust_std_tables rust_std_tables.rs && /tmp/rust_std_tables > /tmp/rust_std.txt
use std::io::Write;

fn main() {
    let v = char::UNICODE_VERSION;
    eprintln!("rustc std Unicode {}.{}.{}", v.0, v.1, v.2);
    let out = std::io::stdout();
    let mut out = out.lock();
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let lower: Vec<char> = c.to_lowercase().collect();
        if lower.len() != 1 || lower[0] != c {
            write!(out, "lower {:X}", c as u32).unwrap();
            for l in lower {
                write!(out, " {:X}", l as u32).unwrap();
            }
            writeln!(out).unwrap();
        }
        if c.is_numeric() {
            writeln!(out, "numeric {:X}", c as u32).unwrap();
        }
    }
}
