//! The data a model command works on and its beyond-log protocol: a seeded synthetic world under
//! its planted off-log behaviour, or a dataset under `random` or `future`. The experiment, the
//! reasoner and the browser rebuild it from the same typed description.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::data::synthetic::{PARTNER_OFF_LOG, PARTNER_ON_LOG};
use crate::data::{BeyondLog, Dataset, GroundTruth, Protocol, SplitConfig, SplitKind};
use crate::data::{SyntheticConfig, SyntheticWorld};
use crate::error::{Error, Result};

/// Which beyond-log protocol a run used, as results files record it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ProtocolMode {
    /// A seeded random fraction `rho` of each user's pre-test events is off-log.
    Random { rho: f64 },
    /// The last `m` pre-test events of each user are off-log.
    Future { m: usize },
    /// Every pre-test event in a group of genres, picked with the protocol's seed until they
    /// cover at least `share` of all interactions, is off-log: a domain the log never shows.
    Domain { share: f64 },
    /// The synthetic world's planted off-log behaviour.
    Planted,
}

impl ProtocolMode {
    /// The CLI's `--mode` with its parameters: `share` is `random`'s probability and
    /// `domain`'s least covered share.
    pub fn parse(mode: &str, share: f64, future_m: usize) -> Result<Self> {
        match mode {
            "random" => Ok(Self::Random { rho: share }),
            "future" => Ok(Self::Future { m: future_m }),
            "domain" => Ok(Self::Domain { share }),
            other => Err(Error::Config(format!(
                "unknown mode '{other}' (available: random, future, domain)"
            ))),
        }
    }

    /// The same words as [`BeyondLog::describe`], which inferred sequences record.
    pub fn describe(&self) -> String {
        match self {
            Self::Random { rho } => BeyondLog::Random { rho: *rho }.describe(),
            Self::Future { m } => BeyondLog::Future { m: *m }.describe(),
            Self::Domain { share } => format!("domain share={share}"),
            Self::Planted => "planted".into(),
        }
    }
}

/// A synthetic world: its size, its seed and its partner shares; the rest of
/// [`SyntheticConfig`] is the default. The shares are absent from files when they are the
/// defaults, so worlds recorded before they were flags read as before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorldSpec {
    pub users: usize,
    pub items: usize,
    pub seed: u64,
    /// [`SyntheticConfig::partner_off_log`].
    #[serde(
        default = "default_off_log",
        skip_serializing_if = "is_default_off_log"
    )]
    pub partner_off_log: f64,
    /// [`SyntheticConfig::partner_on_log`].
    #[serde(default = "default_on_log", skip_serializing_if = "is_default_on_log")]
    pub partner_on_log: f64,
}

fn default_off_log() -> f64 {
    PARTNER_OFF_LOG
}

fn default_on_log() -> f64 {
    PARTNER_ON_LOG
}

fn is_default_off_log(x: &f64) -> bool {
    *x == PARTNER_OFF_LOG
}

fn is_default_on_log(x: &f64) -> bool {
    *x == PARTNER_ON_LOG
}

impl WorldSpec {
    /// The workbench's world: the one the committed bundles were trained on, which every view
    /// opens by default and the model commands' `--synthetic` make.
    pub const WORKBENCH: WorldSpec = WorldSpec {
        users: 300,
        items: 200,
        seed: 0,
        partner_off_log: PARTNER_OFF_LOG,
        partner_on_log: PARTNER_ON_LOG,
    };

    /// The workbench's world with another size and seed.
    pub fn sized(users: usize, items: usize, seed: u64) -> Self {
        Self {
            users,
            items,
            seed,
            ..Self::WORKBENCH
        }
    }

    pub fn config(&self) -> SyntheticConfig {
        SyntheticConfig {
            users: self.users,
            items: self.items,
            seed: self.seed,
            partner_off_log: self.partner_off_log,
            partner_on_log: self.partner_on_log,
            ..SyntheticConfig::default()
        }
    }

    /// "world 7 (300 users, 200 items)", with the shares when they are not the defaults.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "world {} ({} users, {} items",
            self.seed, self.users, self.items
        );
        if !is_default_off_log(&self.partner_off_log) || !is_default_on_log(&self.partner_on_log) {
            s += &format!(
                ", partner off-log {} on-log {}",
                self.partner_off_log, self.partner_on_log
            );
        }
        s + ")"
    }
}

/// A dataset split under its protocol.
pub struct Prepared {
    pub ds: Dataset,
    pub protocol: Protocol,
    pub mode: ProtocolMode,
    /// Per user or one cut time for everyone (a synthetic world is split per user).
    pub split: SplitKind,
    /// The synthetic world (None for datasets).
    pub world: Option<WorldSpec>,
    /// The synthetic world's ground truth (None for datasets).
    pub truth: Option<GroundTruth>,
    /// The protocol's seed (a world's own seed).
    pub seed: u64,
}

impl Prepared {
    /// A seeded synthetic world; `world.seed` also seeds the protocol.
    pub fn synthetic(world: WorldSpec) -> Result<Self> {
        Self::synthetic_seeded(world, world.seed)
    }

    /// A synthetic world whose protocol (and reasoner) are seeded apart from it.
    pub fn synthetic_seeded(world: WorldSpec, seed: u64) -> Result<Self> {
        let w = SyntheticWorld::generate(&world.config())?;
        let mode = BeyondLog::Planted {
            off_log: w.truth.off_log.clone(),
        };
        let protocol = Protocol::new(&w.dataset, SplitConfig::default(), &mode, seed)?;
        Ok(Self {
            ds: w.dataset,
            protocol,
            mode: ProtocolMode::Planted,
            split: SplitKind::PerUser,
            world: Some(world),
            truth: Some(w.truth),
            seed,
        })
    }

    /// A dataset under `random`, `future` or `domain`, split per user, the protocol drawn with
    /// `seed`.
    pub fn dataset(ds: Dataset, mode: ProtocolMode, seed: u64) -> Result<Self> {
        Self::dataset_split(ds, mode, SplitKind::PerUser, seed)
    }

    /// [`Prepared::dataset`] with the split's kind.
    pub fn dataset_split(
        ds: Dataset,
        mode: ProtocolMode,
        split: SplitKind,
        seed: u64,
    ) -> Result<Self> {
        let beyond = match mode {
            ProtocolMode::Random { rho } => BeyondLog::Random { rho },
            ProtocolMode::Future { m } => BeyondLog::Future { m },
            ProtocolMode::Domain { share } => BeyondLog::domain_with_share(&ds, share, seed)?,
            ProtocolMode::Planted => {
                return Err(Error::Config(format!(
                    "{}: only a synthetic world has planted off-log behaviour",
                    ds.name
                )))
            }
        };
        let cfg = SplitConfig {
            kind: split,
            ..SplitConfig::default()
        };
        let protocol = Protocol::new(&ds, cfg, &beyond, seed)?;
        Ok(Self {
            ds,
            protocol,
            mode,
            split,
            world: None,
            truth: None,
            seed,
        })
    }

    /// What [`Prepared::synthetic`] or [`Prepared::dataset`] made for this description; `ds` is
    /// the loaded dataset, needed unless `world` is given.
    pub fn rebuild(
        world: Option<WorldSpec>,
        (mode, split): (ProtocolMode, SplitKind),
        seed: u64,
        ds: Option<&Dataset>,
    ) -> Result<Self> {
        match world {
            Some(w) => Self::synthetic_seeded(w, seed),
            None => {
                let ds = ds.ok_or_else(|| {
                    Error::Config("the dataset these results were made on is not loaded".into())
                })?;
                Self::dataset_split(ds.clone(), mode, split, seed)
            }
        }
    }
}

impl Prepared {
    /// What rebuilds this split: its description as model files record it.
    pub fn spec(&self) -> PreparedSpec {
        PreparedSpec {
            format_version: PreparedSpec::FORMAT_VERSION,
            dataset: self.ds.name.clone(),
            fingerprint: format!("{:016x}", self.ds.fingerprint()),
            world: self.world,
            mode: self.mode,
            split: self.split,
            seed: self.seed,
        }
    }
}

/// `protocol.json`: the data and protocol a model was fitted on, so that the browser replays it
/// on the same split (no protocol typed into the page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedSpec {
    pub format_version: u32,
    pub dataset: String,
    /// `Dataset::fingerprint`, in hex.
    pub fingerprint: String,
    pub world: Option<WorldSpec>,
    pub mode: ProtocolMode,
    /// Absent in files made before the global split: per user.
    #[serde(default, skip_serializing_if = "SplitKind::is_per_user")]
    pub split: SplitKind,
    pub seed: u64,
}

impl Artifact for PreparedSpec {
    const KIND: &'static str = "data description";
    const FORMAT_VERSION: u32 = 1;
    const MADE_BY: &'static str = "reaseq reasoner export";
}

impl PreparedSpec {
    /// The same split again; `ds` is the loaded dataset (unused for a synthetic world), refused
    /// when it is not the data the description names.
    pub fn prepare(&self, ds: Option<&Dataset>) -> Result<Prepared> {
        // A world is rebuilt from its seed: checked too, in case the generator changed.
        let prepared = Prepared::rebuild(self.world, (self.mode, self.split), self.seed, ds)?;
        let have = format!("{:016x}", prepared.ds.fingerprint());
        if have != self.fingerprint {
            return Err(Error::Config(format!(
                "the model was fitted on {} (fingerprint {}), the data here is {} ({have})",
                self.dataset, self.fingerprint, prepared.ds.name
            )));
        }
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_is_recorded_as_a_tagged_enum_and_described_as_before() {
        let m = ProtocolMode::Random { rho: 0.3 };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"mode":"random","rho":0.3}"#
        );
        assert_eq!(m.describe(), "random rho=0.3");
        assert_eq!(ProtocolMode::Future { m: 10 }.describe(), "future m=10");
        assert!(ProtocolMode::parse("domains", 0.3, 10).is_err());
        let d = ProtocolMode::parse("domain", 0.2, 10).unwrap();
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"mode":"domain","share":0.2}"#
        );
    }

    #[test]
    fn a_rebuilt_world_is_the_same_world() {
        let w = WorldSpec::sized(20, 120, 3);
        let a = Prepared::synthetic(w).unwrap();
        let b = Prepared::rebuild(
            Some(w),
            (ProtocolMode::Planted, SplitKind::PerUser),
            3,
            None,
        )
        .unwrap();
        assert_eq!(a.ds.fingerprint(), b.ds.fingerprint());
        assert_eq!(
            a.protocol.count(crate::data::Part::Test),
            b.protocol.count(crate::data::Part::Test)
        );
        let spec: PreparedSpec = crate::artifact::from_json(
            "protocol.json",
            &crate::artifact::to_json(&a.spec()).unwrap(),
        )
        .unwrap();
        let c = spec.prepare(None).unwrap();
        assert_eq!(c.ds.fingerprint(), a.ds.fingerprint());
        let other = Prepared::dataset(c.ds.clone(), ProtocolMode::Random { rho: 0.3 }, 1).unwrap();
        let s = other.spec();
        assert_eq!((s.world, s.seed), (None, 1));
        let mut wrong = c.ds.clone();
        wrong.interactions.pop();
        assert!(s.prepare(Some(&wrong)).is_err());
        assert!(Prepared::dataset(a.ds, ProtocolMode::Planted, 0).is_err());
    }
}
