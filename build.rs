//! Links the pipeline's binaries (zs-chat, zs-tool, zs-perm, zs-session)
//! statically against glibc, for their start-up cost.
//!
//! A round of the agent starts five of these processes, and on this kind of
//! machine a dynamically linked Rust binary spends about 0.3 ms of CPU
//! before `main` that a static one does not: the dynamic loader maps
//! libgcc_s and libc, relocates libc, binds every imported symbol, and
//! libgcc_s's constructor probes the CPU (CPUID traps to the hypervisor in a
//! VM). scripts/bench/zerostack.sh measures the effect per round.
//!
//! Rust's own way, `-C target-feature=+crt-static`, needs `--target` on
//! glibc (a proc-macro cannot be built static), which would move the
//! binaries out of target/release and change every build command. So the
//! link line rustc writes for a dynamic build is kept and turned static:
//! `-static -no-pie` for the bins, and a folder searched before the
//! system's in which each library rustc names (`-lgcc_s -lutil -lrt
//! -lpthread -lm -ldl -lc`) is a one-line linker script naming its static
//! archive; libgcc_s becomes libgcc_eh and libgcc, as in Rust's crt-static
//! link. The library, tests, examples and zs-tui keep the dynamic link.
//!
//! Not position-independent: a static PIE relocates itself at start-up,
//! writing to every page of its tables of pointers (.data.rel.ro: 200 KiB
//! and 12,000 relocations in zs-tool, mostly vtables and tables of
//! strings), and each such page costs a copy-on-write fault; at a fixed
//! address they stay shared pages of the file. zs-tool starts in 0.81 ms
//! instead of 0.94. The price is that the binary's own code and data do
//! not move between runs (the stack, heap and mappings still do): less
//! hardening against an exploit, in memory-safe code.
//!
//! Caveat of static glibc: name lookups through NSS modules other than the
//! built-in `files` and `dns` (mdns, systemd, ...) load the module at run
//! time and need the glibc the binary was built with; when the module
//! cannot be loaded, glibc goes on to the next source in nsswitch.conf.
//! Only zs-chat and zs-tool's web tool resolve host names.
//!
//! Where a static archive is missing (no libc6-dev's libc.a, a target other
//! than x86_64 Linux glibc), or with `ZS_LINK=dynamic` in the environment,
//! the build stays dynamic.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The binaries of a round, linked static.
const BINS: [&str; 4] = ["zs-chat", "zs-tool", "zs-perm", "zs-session"];

/// What rustc links a dynamic glibc binary against (besides libgcc_s), each
/// with the static archives that replace it.
const LIBS: [(&str, &[&str]); 7] = [
    ("gcc_s", &["libgcc_eh.a", "libgcc.a"]),
    ("util", &["libutil.a"]),
    ("rt", &["librt.a"]),
    ("pthread", &["libpthread.a"]),
    ("m", &["libm.a"]),
    ("dl", &["libdl.a"]),
    ("c", &["libc.a"]),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ZS_LINK");
    println!("cargo:rerun-if-env-changed=CC");
    if std::env::var("ZS_LINK").as_deref() == Ok("dynamic") {
        return;
    }
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let glibc = var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("CARGO_CFG_TARGET_ARCH") == "x86_64";
    // Already static (crt-static asked for by the user): nothing to do.
    if !glibc || var("CARGO_CFG_TARGET_FEATURE").contains("crt-static") {
        return;
    }
    let out = PathBuf::from(var("OUT_DIR")).join("static-libs");
    match write_scripts(&out) {
        Ok(()) => {
            for bin in BINS {
                println!("cargo:rustc-link-arg-bin={bin}=-L{}", out.display());
                println!("cargo:rustc-link-arg-bin={bin}=-static");
                // After rustc's own `-pie`, which it overrides.
                println!("cargo:rustc-link-arg-bin={bin}=-no-pie");
            }
        }
        Err(why) => println!("cargo:warning=linking dynamically: {why}"),
    }
}

/// Writes `lib<name>.a` for each of [`LIBS`] into `dir`: a linker script
/// that names the static archives found by the C compiler.
fn write_scripts(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, archives) in LIBS {
        let mut paths = Vec::new();
        for a in archives {
            paths.push(find_archive(a)?);
        }
        let script = format!("INPUT({})\n", paths.join(" "));
        let file = dir.join(format!("lib{name}.a"));
        std::fs::write(&file, script).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(())
}

/// The path of a static archive as the C compiler finds it
/// (`cc -print-file-name`, which echoes the bare name when it finds none).
fn find_archive(name: &str) -> Result<String, String> {
    // CC may carry flags (`gcc -m64`): the first word is the program.
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut words = cc.split_whitespace();
    let program = words.next().unwrap_or("cc");
    let out = Command::new(program)
        .args(words)
        .arg(format!("-print-file-name={name}"))
        .output()
        .map_err(|e| format!("cannot run {cc}: {e}"))?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !Path::new(&path).is_absolute() || !Path::new(&path).is_file() {
        return Err(format!("no static {name}"));
    }
    // A linker script names files inside parentheses, split on white space.
    if path.contains(|c: char| c.is_whitespace() || c == '(' || c == ')') {
        return Err(format!(
            "{name} is at a path a linker script cannot name: {path}"
        ));
    }
    Ok(path)
}
