//! The model bundle shared by every model: `NAME.safetensors` (f32 weights) and `NAME.json` (a
//! manifest: kind, config, dataset fingerprint, metrics, versions, tensor shapes and the sha256 of
//! the weights). Loading checks the checksum and every shape, so a truncated or altered file is a
//! clear error, not a wrong model.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorInfo {
    pub name: String,
    pub shape: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// What the weights are, e.g. `student-encoder`.
    pub kind: String,
    pub config: serde_json::Value,
    /// `Dataset::fingerprint` of the data the model was trained on, in hex.
    pub dataset_fingerprint: Option<String>,
    pub metrics: BTreeMap<String, f64>,
    pub versions: BTreeMap<String, String>,
    pub tensors: Vec<TensorInfo>,
    pub weights_sha256: String,
}

/// Named f32 tensors, row-major.
pub type Tensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The safetensors bytes of `tensors` (f32, little-endian, no metadata).
pub fn encode_tensors(tensors: &Tensors) -> Result<Vec<u8>> {
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, (shape, data))| {
            (
                name.clone(),
                shape.clone(),
                data.iter().flat_map(|x| x.to_le_bytes()).collect(),
            )
        })
        .collect();
    let mut views = Vec::with_capacity(bytes.len());
    for (name, shape, data) in &bytes {
        if shape.iter().product::<usize>() * 4 != data.len() {
            return Err(Error::Model(format!(
                "tensor {name}: shape {shape:?} does not fit {} values",
                data.len() / 4
            )));
        }
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                .map_err(|e| Error::Model(format!("tensor {name}: {e}")))?;
        views.push((name.clone(), view));
    }
    safetensors::serialize(views, None).map_err(|e| Error::Model(format!("safetensors: {e}")))
}

/// Serialises `tensors`; returns (manifest JSON, weights bytes).
pub fn encode(
    kind: &str,
    config: serde_json::Value,
    dataset_fingerprint: Option<u64>,
    metrics: BTreeMap<String, f64>,
    tensors: &Tensors,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let weights = encode_tensors(tensors)?;
    let manifest = Manifest {
        format: FORMAT_VERSION,
        kind: kind.to_owned(),
        config,
        dataset_fingerprint: dataset_fingerprint.map(|f| format!("{f:016x}")),
        metrics,
        versions: BTreeMap::from([(
            "reaseq-core".to_owned(),
            env!("CARGO_PKG_VERSION").to_owned(),
        )]),
        tensors: tensors
            .iter()
            .map(|(n, (s, _))| TensorInfo {
                name: n.clone(),
                shape: s.clone(),
            })
            .collect(),
        weights_sha256: sha256_hex(&weights),
    };
    let json =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Model(format!("manifest: {e}")))?;
    Ok((json, weights))
}

/// Checks and reads a bundle of the expected `kind`.
pub fn decode(
    name: &str,
    kind: &str,
    manifest: &[u8],
    weights: &[u8],
) -> Result<(Manifest, Tensors)> {
    let bad = |msg: String| Error::Model(format!("{name}: {msg}"));
    let m: Manifest =
        serde_json::from_slice(manifest).map_err(|e| bad(format!("manifest is not valid: {e}")))?;
    if m.format != FORMAT_VERSION {
        return Err(bad(format!(
            "bundle format {} (this build reads {FORMAT_VERSION})",
            m.format
        )));
    }
    if m.kind != kind {
        return Err(bad(format!("holds a {}, expected a {kind}", m.kind)));
    }
    let got = sha256_hex(weights);
    if got != m.weights_sha256 {
        return Err(bad(format!(
            "weights have sha256 {got}, the manifest says {} (truncated or altered file)",
            m.weights_sha256
        )));
    }
    let st =
        safetensors::SafeTensors::deserialize(weights).map_err(|e| bad(format!("weights: {e}")))?;
    let mut out = Tensors::new();
    for info in &m.tensors {
        let t = st
            .tensor(&info.name)
            .map_err(|e| bad(format!("tensor {}: {e}", info.name)))?;
        if t.dtype() != safetensors::Dtype::F32 || t.shape() != info.shape.as_slice() {
            return Err(bad(format!(
                "tensor {} is {:?} {:?}, the manifest says F32 {:?}",
                info.name,
                t.dtype(),
                t.shape(),
                info.shape
            )));
        }
        let data = t
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        out.insert(info.name.clone(), (info.shape.clone(), data));
    }
    Ok((m, out))
}

/// Takes exactly the tensors that `shapes` names out of `tensors`, checking every shape and
/// that every value is finite; `what` names the model in errors.
pub fn take_exact(
    what: &str,
    shapes: Vec<(String, Vec<usize>)>,
    mut tensors: Tensors,
) -> Result<BTreeMap<String, Vec<f32>>> {
    let mut weights = BTreeMap::new();
    for (name, shape) in shapes {
        let (got, data) = tensors
            .remove(&name)
            .ok_or_else(|| Error::Model(format!("{what}: no tensor '{name}'")))?;
        if got != shape || data.len() != shape.iter().product::<usize>() {
            return Err(Error::Model(format!(
                "{what}: tensor '{name}' has shape {got:?}, expected {shape:?}"
            )));
        }
        if data.iter().any(|x| !x.is_finite()) {
            return Err(Error::Model(format!(
                "{what}: tensor '{name}' is not finite"
            )));
        }
        weights.insert(name, data);
    }
    if let Some(extra) = tensors.keys().next() {
        return Err(Error::Model(format!("{what}: unexpected tensor '{extra}'")));
    }
    Ok(weights)
}

/// [`encode`] with a typed config.
pub fn encode_with<C: Serialize>(
    kind: &str,
    config: &C,
    dataset_fingerprint: Option<u64>,
    metrics: BTreeMap<String, f64>,
    tensors: &Tensors,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let config =
        serde_json::to_value(config).map_err(|e| Error::Model(format!("{kind} config: {e}")))?;
    encode(kind, config, dataset_fingerprint, metrics, tensors)
}

/// [`decode`] with a typed config; errors name the bundle.
pub fn decode_with<C: serde::de::DeserializeOwned>(
    name: &str,
    kind: &str,
    manifest: &[u8],
    weights: &[u8],
) -> Result<(C, Tensors)> {
    let (m, t) = decode(name, kind, manifest, weights)?;
    let config = serde_json::from_value(m.config)
        .map_err(|e| Error::Model(format!("{name}: {kind} config: {e}")))?;
    Ok((config, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<u8>, Vec<u8>) {
        let mut t = Tensors::new();
        t.insert("w".into(), (vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        t.insert("b".into(), (vec![3], vec![0.5, -0.5, 0.0]));
        let metrics = BTreeMap::from([("cosine".to_owned(), 0.9)]);
        encode(
            "test-model",
            serde_json::json!({"dim": 3}),
            Some(42),
            metrics,
            &t,
        )
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let (m, w) = sample();
        let (manifest, tensors) = decode("t", "test-model", &m, &w).unwrap();
        assert_eq!(tensors["w"].1[5], 6.0);
        assert_eq!(
            manifest.dataset_fingerprint.as_deref(),
            Some("000000000000002a")
        );
    }

    #[test]
    fn truncated_altered_or_mismatched_bundles_are_clear_errors() {
        let (m, w) = sample();
        let msg = |r: Result<(Manifest, Tensors)>| r.unwrap_err().to_string();
        assert!(
            msg(decode("t", "test-model", &m, &w[..w.len() - 3])).contains("truncated or altered")
        );
        let mut altered = w.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(msg(decode("t", "test-model", &m, &altered)).contains("truncated or altered"));
        assert!(msg(decode("t", "other", &m, &w)).contains("expected a other"));
        let mut edited: Manifest = serde_json::from_slice(&m).unwrap();
        edited
            .tensors
            .iter_mut()
            .find(|t| t.name == "w")
            .unwrap()
            .shape = vec![3, 2];
        let edited = serde_json::to_vec(&edited).unwrap();
        assert!(
            msg(decode("t", "test-model", &edited, &w)).contains("the manifest says F32 [3, 2]")
        );
        assert!(msg(decode("t", "test-model", b"{", &w)).contains("manifest is not valid"));
    }
}
