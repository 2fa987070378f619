// Prints Rust std's char::to_lowercase for every scalar value it changes: "CP LOWER..." in hex, one per line,
// and char::UNICODE_VERSION on stderr. Input of make_char_classes.py.
//   rustc -O -o /tmp/rust_lowercase rust_lowercase.rs && /tmp/rust_lowercase > /tmp/lowercase.txt
use std::io::Write;

fn main() {
    let v = char::UNICODE_VERSION;
    eprintln!("rustc std Unicode {}.{}.{}", v.0, v.1, v.2);
    let out = std::io::stdout();
    let mut out = out.lock();
    for cp in 0..=0x10FFFFu32 {
        let c = match char::from_u32(cp) {
            Some(c) => c,
            None => continue,
        };
        let lower: Vec<char> = c.to_lowercase().collect();
        if lower.len() == 1 && lower[0] == c {
            continue;
        }
        write!(out, "{:X}", cp).unwrap();
        for l in lower {
            write!(out, " {:X}", l as u32).unwrap();
        }
        writeln!(out).unwrap();
    }
}
