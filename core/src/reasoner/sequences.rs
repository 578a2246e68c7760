//! The materialised GBR sequences: every user's inferred items, cross-fitted (each user's from a
//! reasoner that never saw them) and computed from logged pre-test history only. This is the
//! file the ranker reads as its second behaviour sequence.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::{Dataset, Prepared, ProtocolMode, SplitKind};
use crate::error::{Error, Result};

/// How the sequences were made, so a reader can refuse ones made under another protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceProvenance {
    /// `Dataset::fingerprint` of the data they were inferred on.
    pub dataset_fingerprint: u64,
    /// The beyond-log protocol they were inferred under.
    pub protocol: ProtocolMode,
    /// Absent in files made before the global split: per user.
    #[serde(default, skip_serializing_if = "SplitKind::is_per_user")]
    pub split: SplitKind,
    pub seed: u64,
    pub folds: usize,
    pub slots: usize,
    pub steps: usize,
    /// How the ranked lists were decoded (`Decoding::describe`); empty in older files.
    #[serde(default)]
    pub decoding: String,
}

/// One user's inferred items, by their ids in the data, most confident first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSequence {
    pub user: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferredSequences {
    pub format_version: u32,
    pub provenance: SequenceProvenance,
    pub users: Vec<UserSequence>,
}

impl Artifact for InferredSequences {
    const KIND: &'static str = "inferred sequences";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq reasoner train";
}

impl InferredSequences {
    /// From per-user item indices (`inferred[user]`), as cross-fitting returns them.
    pub fn new(ds: &Dataset, provenance: SequenceProvenance, inferred: &[Vec<u32>]) -> Self {
        let users = ds
            .users
            .names()
            .iter()
            .zip(inferred)
            .map(|(u, items)| UserSequence {
                user: u.clone(),
                items: items
                    .iter()
                    .map(|&i| ds.items[i as usize].id.clone())
                    .collect(),
            })
            .collect();
        Self {
            format_version: Self::FORMAT_VERSION,
            provenance,
            users,
        }
    }

    /// Parses the JSON file at `path` (named in every error).
    pub fn from_json(path: &str, bytes: &[u8]) -> Result<Self> {
        crate::artifact::from_json(path, bytes)
    }

    /// Per user index, the inferred item indices. Refuses sequences inferred on other data or
    /// under another protocol or split, and names the user and item it cannot place.
    pub fn resolve(&self, path: &str, data: &Prepared) -> Result<Vec<Vec<u32>>> {
        let (ds, protocol, p) = (&data.ds, data.mode, &self.provenance);
        if p.split != data.split {
            return Err(Error::Config(format!(
                "{path}: inferred under the {:?} split, this run uses {:?}",
                p.split, data.split
            )));
        }
        if p.dataset_fingerprint != ds.fingerprint() {
            return Err(Error::Config(format!(
                "{path}: inferred on another dataset (fingerprint {:016x}, this one {:016x}): \
                 rerun `reaseq reasoner train`",
                p.dataset_fingerprint,
                ds.fingerprint()
            )));
        }
        if p.protocol != protocol {
            return Err(Error::Config(format!(
                "{path}: inferred under protocol '{}', this run uses '{}'",
                p.protocol.describe(),
                protocol.describe()
            )));
        }
        let mut out = vec![Vec::new(); ds.num_users()];
        for (n, us) in self.users.iter().enumerate() {
            let Some(u) = ds.users.get(&us.user) else {
                return Err(Error::Config(format!(
                    "{path}: users[{n}].user '{}' is not in {}",
                    us.user, ds.name
                )));
            };
            out[u as usize] = us
                .items
                .iter()
                .enumerate()
                .map(|(k, id)| {
                    ds.item_index(id).ok_or_else(|| {
                        Error::Config(format!(
                            "{path}: users[{n}].items[{k}] '{id}' is not an item of {}",
                            ds.name
                        ))
                    })
                })
                .collect::<Result<_>>()?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticConfig, SyntheticWorld};

    fn world() -> Dataset {
        SyntheticWorld::generate(&SyntheticConfig {
            users: 5,
            items: 40,
            min_events: 5,
            max_events: 10,
            ..SyntheticConfig::default()
        })
        .unwrap()
        .dataset
    }

    fn under(ds: &Dataset, mode: ProtocolMode, split: SplitKind) -> Prepared {
        Prepared::dataset_split(ds.clone(), mode, split, 0).unwrap()
    }

    const RANDOM: ProtocolMode = ProtocolMode::Random { rho: 0.3 };

    fn provenance(ds: &Dataset) -> SequenceProvenance {
        SequenceProvenance {
            decoding: "diffusion sampler".into(),
            dataset_fingerprint: ds.fingerprint(),
            protocol: ProtocolMode::Random { rho: 0.3 },
            split: SplitKind::PerUser,
            seed: 0,
            folds: 2,
            slots: 2,
            steps: 2,
        }
    }

    #[test]
    fn round_trips_through_json_and_ids() {
        let ds = world();
        let inferred: Vec<Vec<u32>> = (0..5).map(|u| vec![u, u + 7]).collect();
        let s = InferredSequences::new(&ds, provenance(&ds), &inferred);
        let json = serde_json::to_vec(&s).unwrap();
        let back = InferredSequences::from_json("x.json", &json).unwrap();
        let data = under(&ds, RANDOM, SplitKind::PerUser);
        assert_eq!(back.resolve("x.json", &data).unwrap(), inferred);
    }

    #[test]
    fn other_protocol_data_or_unknown_item_is_refused_by_name() {
        let ds = world();
        let mut s = InferredSequences::new(&ds, provenance(&ds), &[vec![1]]);
        let future = under(&ds, ProtocolMode::Future { m: 10 }, SplitKind::PerUser);
        let e = s.resolve("x.json", &future).unwrap_err();
        assert!(e.to_string().contains("protocol"), "{e}");
        let global = under(&ds, RANDOM, SplitKind::Global);
        let e = s.resolve("x.json", &global).unwrap_err();
        assert!(e.to_string().contains("split"), "{e}");
        let data = under(&ds, RANDOM, SplitKind::PerUser);
        s.users[0].items[0] = "nope".into();
        let e = s.resolve("x.json", &data).unwrap_err();
        assert!(e.to_string().contains("users[0].items[0] 'nope'"), "{e}");
        s.provenance.dataset_fingerprint ^= 1;
        let e = s.resolve("x.json", &data).unwrap_err();
        assert!(e.to_string().contains("another dataset"), "{e}");
        assert!(InferredSequences::from_json("x.json", b"{").is_err());
    }
}
