//! Hostile input: every corpus configuration, mutated thousands of ways (quotes,
//! braces, `$`, backslashes, truncation), evaluates to a menu or a clean error —
//! never a panic or a hang.

mod grub2_common;

use grub2_common::{corpus, DirDisk};
use xenboot::config::grub2::evaluate;
use xenboot::Limits;

#[test]
fn mutated_corpus_configs_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut disk = DirDisk::single(dir.path());
    disk.lenient = true;
    let mut files = Vec::new();
    for d in ["grubby", "pygrub", "petitboot"] {
        for e in std::fs::read_dir(corpus().join(d)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 50, "corpus missing");
    let limits = Limits {
        max_script_steps: 100_000,
        ..Limits::default()
    };
    let mut seed: u64 = 12345;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 16
    };
    let specials = b"{}\"'\\$;\n#>()[]! -x";
    let mut evaluated = 0;
    for f in &files {
        let text = std::fs::read(f).unwrap();
        for round in 0..25 {
            let mut t = text.clone();
            for _ in 0..(round % 7 + 1) {
                let i = next() as usize % t.len().max(1);
                let c = specials[next() as usize % specials.len()];
                match next() % 3 {
                    0 if i < t.len() => t[i] = c,
                    1 => t.insert(i.min(t.len()), c),
                    _ => t.truncate(i),
                }
            }
            let s = String::from_utf8_lossy(&t).into_owned();
            let mut w = Vec::new();
            if let Err(e) = evaluate(&s, "/boot/grub/grub.cfg", &disk, &limits, &mut w) {
                assert!(!e.to_string().is_empty());
            }
            evaluated += 1;
        }
    }
    assert!(evaluated > 1000);
}
