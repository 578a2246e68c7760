//! The reasoner's stages on disk: fit and write its bundle, every user's inferred sequence and
//! what the browser needs to replay it; reuse the sequences when they fit the protocol.

use std::path::PathBuf;

use crate::artifact::{from_json, to_compact_json};
use crate::bundle::Manifest;
use crate::data::Prepared;
use crate::error::{Error, Result};
use crate::knowledge::semantic_id::{SemanticIdFile, SemanticIds};
use crate::layout::{self, file};
use crate::progress::Progress;
use crate::reasoner::pipeline::ReasonerSettings;
use crate::reasoner::pipeline::{fit_reasoner, reasoner_codes, CodeSource, FittedReasoner};
use crate::reasoner::{knowledge_space, DiffusionReasoner, InferredSequences};

use super::{read_file, write_artifact, write_file, Workspace};

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
        let (manifest, weights) = fitted.bundle(data, s)?;
        let [m, w] = layout::bundle_files(file::REASONER);
        write_file(&dir.join(m), &manifest)?;
        write_file(&dir.join(w), &weights)?;
        let sequences = to_compact_json(&fitted.sequences(data, s))?;
        write_file(&dir.join(file::INFERRED), &sequences)?;
        self.write_reasoner_files(data, ids, write_asset, progress)?;
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

    /// What the browser needs next to the bundle: its semantic IDs and the data and protocol it
    /// was fitted on; with `write_asset` the reasoner's files are copied to the assets.
    fn write_reasoner_files(
        &self,
        data: &Prepared,
        ids: SemanticIds,
        write_asset: bool,
        progress: &dyn Progress,
    ) -> Result<()> {
        let dir = self.reasoner_dir(data);
        let ids = to_compact_json(&SemanticIdFile::new(ids))?;
        write_file(&dir.join(file::SEMANTIC_IDS), &ids)?;
        write_artifact(&dir.join(file::PROTOCOL), &data.spec())?;
        if write_asset {
            let [m, w] = layout::bundle_files(file::REASONER);
            let files = [m, w, file::SEMANTIC_IDS.into(), file::PROTOCOL.into()];
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
        seq.resolve(&name, &data.ds, data.mode)?;
        if seq.provenance.seed != data.seed {
            return Err(Error::Config(format!(
                "{name}: the reasoner was fitted with seed {}, not {}: pass --seed {}",
                seq.provenance.seed, data.seed, seq.provenance.seed
            )));
        }
        let (ids, _) = self.reasoner_knowledge(data, s)?;
        self.write_reasoner_files(data, ids, write_asset, progress)
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
        if let Ok(bytes) = std::fs::read(&path) {
            let saved = from_json::<InferredSequences>(&name, &bytes).and_then(|seq| {
                if seq.provenance.seed != seed {
                    return Err(Error::Config(format!(
                        "{name}: made with seed {}, not {seed}",
                        seq.provenance.seed
                    )));
                }
                seq.resolve(&name, &data.ds, data.mode)
            });
            match saved {
                Ok(v) => return Ok(v),
                Err(e) => progress.message(&format!("{e}; training the reasoner again")),
            }
        }
        let s = ReasonerSettings {
            seed,
            epochs,
            ..ReasonerSettings::defaults(data.world.is_some())
        };
        let (fitted, _) = self.train_reasoner(data, &s, false, progress)?;
        Ok(fitted.fit.inferred)
    }
}
