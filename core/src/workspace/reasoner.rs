//! The reasoner's stages on disk: fit and write its bundle, every user's inferred sequence and
//! what the browser needs to replay it; reuse the sequences when they fit the protocol.

use std::path::PathBuf;

use crate::artifact::{from_json, to_compact_json};
use crate::bundle::Manifest;
use crate::data::{Prepared, PreparedSpec};
use crate::error::{Error, Result};
use crate::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use crate::layout::{self, file};
use crate::progress::Progress;
use crate::reasoner::every_user::EveryUser;
use crate::reasoner::pipeline::{fit_reasoner, reasoner_codes, CodeSource, FittedReasoner};
use crate::reasoner::pipeline::{ReasonerEvaluation, ReasonerSettings};
use crate::reasoner::PriorWeight;
use crate::reasoner::{knowledge_space, DiffusionReasoner, InferredSequences, ItemVocab};

use super::{read_artifact, read_file, write_artifact, write_file, Workspace};

/// What makes the reasoner's bundle, named when it is missing.
const REASONER_TRAIN: &str = "reaseq reasoner train";

impl Workspace {
    /// `{data}/reasoner/{dataset}`
    pub fn reasoner_dir(&self, data: &Prepared) -> PathBuf {
        self.path(&layout::reasoner_dir(&data.ds.name))
    }

    /// The reasoner's semantic IDs and the knowledge vectors they and the kNN baseline use: on
    /// the synthetic world the graph embedding; on a dataset what the knowledge build wrote.
    pub fn reasoner_knowledge(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
    ) -> Result<(SemanticIds, Vec<Vec<f32>>)> {
        let vectors = match data.world {
            Some(_) => knowledge_space(data, None)?,
            None => {
                let path = self.knowledge_dir(&data.ds).join(file::VECTORS);
                let bytes = read_file(&path, super::KNOWLEDGE_BUILD)?;
                knowledge_space(data, Some((&path.display().to_string(), &bytes)))?
            }
        };
        let ids = match (data.world, s.codes) {
            (None, CodeSource::Knowledge) => self.semantic_ids(&data.ds)?,
            _ => reasoner_codes(data, &vectors, s.codes, s.seed)?,
        };
        Ok((ids, vectors))
    }

    /// Cross-fits the reasoner and writes fold 0's bundle, every user's GBR sequence and the
    /// workbench's files; with `write_asset` copies the latter to the assets.
    pub fn train_reasoner(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<(FittedReasoner, Vec<Vec<f32>>)> {
        let (ids, vectors) = self.reasoner_knowledge(data, s)?;
        let fitted = fit_reasoner(data, &ids, s, progress)?;
        let dir = self.reasoner_dir(data);
        for f in 0..fitted.cfg.folds {
            let (manifest, weights) = fitted.bundle(data, s, f)?;
            let [m, w] = layout::bundle_files(&layout::reasoner_fold(f));
            write_file(&dir.join(m), &manifest)?;
            write_file(&dir.join(w), &weights)?;
        }
        let sequences = to_compact_json(&fitted.sequences(data, s))?;
        write_file(&dir.join(file::INFERRED), &sequences)?;
        self.write_reasoner_files(data, ids, fitted.cfg.folds, write_asset, progress)?;
        let best: Vec<usize> = fitted.fit.best_epoch.iter().map(|e| e + 1).collect();
        progress.message(&format!(
            "{}: best epochs {best:?}, {} parameters, {:.0} s → {}",
            data.ds.name,
            fitted.fit.model().num_parameters(),
            fitted.seconds,
            dir.display()
        ));
        Ok((fitted, vectors))
    }

    /// What the browser needs next to the bundles: their semantic IDs and the data and
    /// protocol they were fitted on; with `write_asset` every fold's bundle and these files are
    /// copied to the assets (the shipped reasoner, [`Self::shipped_reasoner`]).
    fn write_reasoner_files(
        &self,
        data: &Prepared,
        ids: SemanticIds,
        folds: usize,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<()> {
        let dir = self.reasoner_dir(data);
        let ids = to_compact_json(&SemanticIdFile::new(ids))?;
        write_file(&dir.join(file::SEMANTIC_IDS), &ids)?;
        write_artifact(&dir.join(file::PROTOCOL), &data.spec())?;
        if write_asset {
            let mut files: Vec<String> = (0..folds)
                .flat_map(|f| layout::bundle_files(&layout::reasoner_fold(f)))
                .collect();
            files.extend([file::SEMANTIC_IDS.into(), file::PROTOCOL.into()]);
            self.copy_to_assets(&layout::reasoner_dir(&data.ds.name), &files, progress)?;
        }
        Ok(())
    }

    /// Writes `reaseq reasoner eval`'s measures next to the reasoner's bundle and, with
    /// `write_asset`, to the assets, where the Reasoner view's population panel reads them.
    pub fn write_reasoner_evaluation(
        &self,
        data: &Prepared,
        e: &ReasonerEvaluation,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<()> {
        write_artifact(&self.reasoner_dir(data).join(file::EVALUATION), e)?;
        if write_asset {
            let files = [file::EVALUATION.to_owned()];
            self.copy_to_assets(&layout::reasoner_dir(&data.ds.name), &files, progress)?;
        }
        Ok(())
    }

    /// The shipped reasoner (`assets/reasoner/{dataset}`: every fold's bundle, its semantic
    /// IDs and protocol), remade into every user's sequences when it was fitted on this data,
    /// protocol and seed; `None`, with the reason as a message, when there is none that fits.
    pub fn shipped_reasoner(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
        progress: &dyn Progress,
    ) -> Result<Option<FittedReasoner>> {
        let dir = self.assets.join(layout::reasoner_dir(&data.ds.name));
        let spec_path = dir.join(file::PROTOCOL);
        if self.retrain || !spec_path.exists() {
            return Ok(None);
        }
        let spec: PreparedSpec = read_artifact(&spec_path)?;
        if !made_on(&spec_path, &spec, data, progress) {
            return Ok(None);
        }
        let folds = load_folds(&dir)?;
        if folds.len() != s.folds.max(2) {
            progress.message(&format!(
                "{}: {} fold bundles, a {}-fold reasoner needs each",
                dir.display(),
                folds.len(),
                s.folds.max(2)
            ));
            return Ok(None);
        }
        let ids = read_artifact::<SemanticIdFile>(&dir.join(file::SEMANTIC_IDS))?.ids;
        let want = s.crossfit(&ItemVocab::new(&ids)?).model;
        if let Some((m, _)) = folds.iter().find(|(m, _)| m.config != want) {
            progress.message(&format!(
                "{}: fitted with other settings ({:?}) than these ({want:?})",
                dir.display(),
                m.config
            ));
            return Ok(None);
        }
        progress.message(&format!(
            "the shipped reasoner ({} folds, {}) infers every user's sequence",
            folds.len(),
            dir.display()
        ));
        let fitted = FittedReasoner::from_folds(data, &ids, s, folds)?;
        // Its files in the data directory, as a fit here would have written them.
        let bundles: Vec<String> = (0..fitted.cfg.folds)
            .flat_map(|f| layout::bundle_files(&layout::reasoner_fold(f)))
            .collect();
        let to = self.install_from_assets(&layout::reasoner_dir(&data.ds.name), &bundles)?;
        write_file(
            &to.join(file::INFERRED),
            &to_compact_json(&fitted.sequences(data, s))?,
        )?;
        self.write_reasoner_files(data, ids, fitted.cfg.folds, false, progress)?;
        progress.message(&format!(
            "{} users' sequences in {:.1} s → {}",
            data.ds.num_users(),
            fitted.seconds,
            to.display()
        ));
        Ok(Some(fitted))
    }

    /// The reasoner the page runs (fold 0's bundle and its semantic IDs, where
    /// [`Workspace::page_path`] says the page reads them), refused unless its protocol is
    /// this data's.
    pub fn page_reasoner(&self, data: &Prepared) -> Result<(DiffusionReasoner, SemanticIds)> {
        let dir = self.page_path(data, &layout::reasoner_dir(&data.ds.name));
        let how = "reaseq reasoner train and reaseq reasoner export";
        let spec_path = dir.join(file::PROTOCOL);
        let spec: PreparedSpec = read_artifact(&spec_path)?;
        if spec != data.spec() {
            return Err(Error::artifact(
                spec_path.display().to_string(),
                format!(
                    "the shipped reasoner was fitted on {} ({}, seed {}), not on this data and protocol",
                    spec.dataset,
                    spec.mode.describe(),
                    spec.seed
                ),
            ));
        }
        let [m, w] = layout::bundle_files(file::REASONER).map(|f| dir.join(f));
        let name = m.display().to_string();
        let model =
            DiffusionReasoner::from_bundle(&name, &read_file(&m, how)?, &read_file(&w, how)?)?;
        let ids = read_artifact::<SemanticIdFile>(&dir.join(file::SEMANTIC_IDS))?.ids;
        Ok((model, ids))
    }

    /// Writes a run over every user to the reasoner's directory (and with `write_asset` to
    /// the assets, where the page finds a synthetic world's).
    pub fn write_every_user(
        &self,
        data: &Prepared,
        e: &EveryUser,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<()> {
        write_artifact(&self.reasoner_dir(data).join(file::EVERY_USER), e)?;
        if write_asset {
            let files = [file::EVERY_USER.to_owned()];
            self.copy_to_assets(&layout::reasoner_dir(&data.ds.name), &files, progress)?;
        }
        Ok(())
    }

    /// Fold 0's bundle, refused when it was trained on other data.
    pub fn reasoner_model(&self, data: &Prepared) -> Result<DiffusionReasoner> {
        let [mp, wp] =
            layout::bundle_files(file::REASONER).map(|f| self.reasoner_dir(data).join(f));
        let manifest = read_file(&mp, REASONER_TRAIN)?;
        let shown = mp.display().to_string();
        let m: Manifest = serde_json::from_slice(&manifest)
            .map_err(|e| Error::artifact(&shown, format!("not a bundle manifest: {e}")))?;
        let want = format!("{:016x}", data.ds.fingerprint());
        if m.dataset_fingerprint.as_deref() != Some(want.as_str()) {
            return Err(Error::artifact(
                shown,
                format!(
                    "trained on other data (fingerprint {:?}, this data {want}): run `{REASONER_TRAIN}` again",
                    m.dataset_fingerprint
                ),
            ));
        }
        DiffusionReasoner::from_bundle(&shown, &manifest, &read_file(&wp, REASONER_TRAIN)?)
    }

    /// The workbench files of an already trained reasoner (after a format change).
    pub fn export_reasoner(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<()> {
        self.reasoner_model(data)?;
        // protocol.json must describe the split the bundle was fitted on: the training run's
        // sequences record it (protocol and seed).
        let path = self.reasoner_dir(data).join(file::INFERRED);
        let name = path.display().to_string();
        let seq = InferredSequences::from_json(&name, &read_file(&path, REASONER_TRAIN)?)?;
        seq.resolve(&name, data)?;
        if seq.provenance.seed != data.seed {
            return Err(Error::Config(format!(
                "{name}: the reasoner was fitted with seed {}, not {}: pass --seed {}",
                seq.provenance.seed, data.seed, seq.provenance.seed
            )));
        }
        let (ids, _) = self.reasoner_knowledge(data, s)?;
        let folds = (0..)
            .take_while(|&f| dir_has_bundle(&self.reasoner_dir(data), f))
            .count();
        self.write_reasoner_files(data, ids, folds, write_asset, progress)
    }

    /// The cross-fitted reasoner with its fold models: the one fitted here when its sequences
    /// were made for this data, protocol and seed, else the shipped one, else trained afresh
    /// (for at most `s.epochs`).
    pub fn fitted_reasoner(
        &self,
        data: &Prepared,
        s: &ReasonerSettings,
        progress: &dyn Progress,
    ) -> Result<FittedReasoner> {
        let dir = self.reasoner_dir(data);
        let path = dir.join(file::INFERRED);
        let name = path.display().to_string();
        let here = std::fs::read(&path)
            .ok()
            .filter(|_| !self.retrain)
            .and_then(|b| {
                let seq = from_json::<InferredSequences>(&name, &b).ok()?;
                (seq.provenance.seed == s.seed && seq.resolve(&name, data).is_ok()).then_some(())
            });
        if here.is_some() {
            let folds = load_folds(&dir)?;
            if folds.len() == s.folds.max(2) {
                let ids = read_artifact::<SemanticIdFile>(&dir.join(file::SEMANTIC_IDS))?.ids;
                progress.message(&format!("the reasoner fitted in {} infers", dir.display()));
                return FittedReasoner::fold_models(data, &ids, s, folds);
            }
        }
        if let Some(shipped) = self.shipped_reasoner(data, s, progress)? {
            return Ok(shipped);
        }
        Ok(self.train_reasoner(data, s, false, progress)?.0)
    }

    /// The GBR sequences for this data and protocol: the saved ones when they were made for it
    /// with `seed`, else the reasoner is trained (for at most `epochs`) and they are made.
    pub fn gbr_sequences(
        &self,
        data: &Prepared,
        seed: u64,
        epochs: usize,
        progress: &dyn Progress,
    ) -> Result<Vec<Vec<u32>>> {
        let path = self.reasoner_dir(data).join(file::INFERRED);
        let name = path.display().to_string();
        if let Some(bytes) = std::fs::read(&path).ok().filter(|_| !self.retrain) {
            let saved = from_json::<InferredSequences>(&name, &bytes).and_then(|seq| {
                if seq.provenance.seed != seed {
                    return Err(Error::Config(format!(
                        "{name}: made with seed {}, not {seed}",
                        seq.provenance.seed
                    )));
                }
                seq.resolve(&name, data)
            });
            match saved {
                Ok(v) => return Ok(v),
                Err(e) => progress.message(&format!("{e}; training the reasoner again")),
            }
        }
        let s = experiment_settings(data, seed, epochs);
        if let Some(shipped) = self.shipped_reasoner(data, &s, progress)? {
            return Ok(shipped.fit.inferred);
        }
        let (fitted, _) = self.train_reasoner(data, &s, false, progress)?;
        Ok(fitted.fit.inferred)
    }
}

/// Whether a shipped file (`path`) was made on `data`'s data and protocol, as its `spec` says;
/// if not, says so through `progress`.
pub(super) fn made_on(
    path: &std::path::Path,
    spec: &PreparedSpec,
    data: &Prepared,
    progress: &dyn Progress,
) -> bool {
    let fits = *spec == data.spec();
    if !fits {
        progress.message(&format!(
            "{}: made on {} ({}, {}, seed {}), not on this data and protocol",
            path.display(),
            spec.dataset,
            spec.fingerprint,
            spec.mode.describe(),
            spec.seed
        ));
    }
    fits
}

/// Whether `dir` holds fold `f`'s bundle manifest.
/// The reasoner the experiment reads: the defaults for the data, with `seed` and at most
/// `epochs`.
pub(super) fn experiment_settings(data: &Prepared, seed: u64, epochs: usize) -> ReasonerSettings {
    ReasonerSettings {
        seed,
        epochs,
        ..ReasonerSettings::defaults(data.world.is_some())
    }
}

/// Every fold's bundle in `dir` (`reasoner-fold-{f}`), with the prior weight it was chosen with.
fn load_folds(dir: &std::path::Path) -> Result<Vec<(DiffusionReasoner, PriorWeight)>> {
    let mut folds = Vec::new();
    for f in 0.. {
        let [m, w] = layout::bundle_files(&layout::reasoner_fold(f)).map(|p| dir.join(p));
        if !m.exists() {
            break;
        }
        let name = m.display().to_string();
        let manifest = read_file(&m, REASONER_TRAIN)?;
        let parsed: Manifest = serde_json::from_slice(&manifest)
            .map_err(|e| Error::artifact(&name, format!("not a bundle manifest: {e}")))?;
        let model =
            DiffusionReasoner::from_bundle(&name, &manifest, &read_file(&w, REASONER_TRAIN)?)?;
        folds.push((model, PriorWeight::from_manifest(&parsed)));
    }
    Ok(folds)
}

fn dir_has_bundle(dir: &std::path::Path, f: usize) -> bool {
    let [m, _] = layout::bundle_files(&layout::reasoner_fold(f));
    dir.join(m).exists()
}
