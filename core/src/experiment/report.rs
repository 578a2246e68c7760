//! The experiment's Markdown report and charts, rendered from its typed results: what `reaseq
//! experiment` prints and writes next to `results.json`.

use crate::knowledge::rep::RepSource;
use crate::ranker::Variant;

use super::results::{Comparison, ExperimentResults, PlantedPart, VariantResult};

/// The headline table: one row per variant, Base's comparison cells as dashes.
pub fn markdown_table(r: &ExperimentResults) -> String {
    let mut out = String::from(
        "| variant | AUC (mean ± std) | AUC 95% CI | GAUC (mean ± std) | GAUC 95% CI | logloss | RelaImpr (GAUC) | AUC − Base [95% CI], p | GAUC − Base [95% CI], p | seeds ahead of Base (AUC / GAUC) |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for v in Variant::ALL {
        let Some(x) = r.variant(v) else { continue };
        out.push_str(&table_row(v, x, r.seeds));
    }
    if !r.controls.is_empty() {
        out.push('\n');
        out.push_str(&controls_table(r));
    }
    if !r.verdicts.is_empty() {
        out.push_str("\nThe declared comparisons, Holm-corrected together:\n\n");
        out.push_str(&super::verdict_table(&r.verdicts));
    }
    out
}

/// One row per control: its figures, its difference from Base, and +GBR − it (how much of
/// +GBR's gain survives the control).
pub fn controls_table(r: &ExperimentResults) -> String {
    let mut out = String::from(
        "| control (+GBR's architecture over …) | AUC (mean ± std) | GAUC (mean ± std) | AUC − Base [95% CI], p | GAUC − Base [95% CI], p | +GBR − control, AUC | +GBR − control, GAUC |\n|---|---|---|---|---|---|---|\n",
    );
    for (name, c) in &r.controls {
        let x = &c.result;
        let (auc_vs, gauc_vs) = match &x.vs_base {
            Some(vs) => (difference(&vs.auc), difference(&vs.gauc)),
            None => ("—".to_owned(), "—".to_owned()),
        };
        out += &format!(
            "| {name}: {} | {:.4} ± {:.4} | {:.4} ± {:.4} | {auc_vs} | {gauc_vs} | {} | {} |\n",
            c.description,
            x.auc,
            x.auc_std,
            x.gauc,
            x.gauc_std,
            difference(&c.gbr_vs_control.auc),
            difference(&c.gbr_vs_control.gauc),
        );
    }
    out
}

/// A paired difference as the tables print it: `+0.0012 [-0.0010, +0.0031], p = 0.270`.
fn difference(d: &Comparison) -> String {
    format!(
        "{:+.4} [{:+.4}, {:+.4}], p = {:.3}",
        d.difference, d.ci[0], d.ci[1], d.p_value
    )
}

fn table_row(v: Variant, x: &VariantResult, seeds: usize) -> String {
    let [auc_vs, gauc_vs, ahead] = match &x.vs_base {
        None => ["—".to_owned(), "—".to_owned(), "—".to_owned()],
        Some(vs) => [
            difference(&vs.auc),
            difference(&vs.gauc),
            format!(
                "{} / {} of {seeds}",
                vs.auc.seeds_ahead, vs.gauc.seeds_ahead
            ),
        ],
    };
    format!(
        "| {} | {:.4} ± {:.4} | [{:.4}, {:.4}] | {:.4} ± {:.4} | [{:.4}, {:.4}] | {:.4} | {:+.2}% | {} | {} | {} |\n",
        v.name(),
        x.auc,
        x.auc_std,
        x.auc_ci[0],
        x.auc_ci[1],
        x.gauc,
        x.gauc_std,
        x.gauc_ci[0],
        x.gauc_ci[1],
        x.logloss,
        x.rela_impr_gauc,
        auc_vs,
        gauc_vs,
        ahead
    )
}

/// Each variant's AUC on the slices of one kind.
/// How far a retrained experiment (`here`) is from the shipped one, per variant: the seed
/// means of AUC and GAUC and their differences, in Markdown.
pub fn shipped_comparison(shipped: &ExperimentResults, here: &ExperimentResults) -> String {
    let mut out = String::from(
        "| variant | AUC shipped | AUC here | Δ AUC | GAUC shipped | GAUC here | Δ GAUC |\n|---|---|---|---|---|---|---|\n",
    );
    for v in Variant::ALL {
        if let (Some(a), Some(b)) = (shipped.variant(v), here.variant(v)) {
            out += &format!(
                "| {} | {:.4} | {:.4} | {:+.4} | {:.4} | {:.4} | {:+.4} |\n",
                v.name(),
                a.auc,
                b.auc,
                b.auc - a.auc,
                a.gauc,
                b.gauc,
                b.gauc - a.gauc
            );
        }
    }
    out
}

pub fn slice_table(r: &ExperimentResults, kind: &str) -> String {
    let mut out = format!(
        "| {kind} | impressions | {} |\n|---|---|{}\n",
        Variant::ALL.map(|v| v.name()).join(" | "),
        "---|".repeat(4)
    );
    for (name, row) in r.evaluation.slices.get(kind).into_iter().flatten() {
        let cells: Vec<String> = Variant::ALL
            .iter()
            .map(|v| {
                row.auc
                    .get(v.name())
                    .copied()
                    .flatten()
                    .map_or("—".into(), |x| format!("{x:.4}"))
            })
            .collect();
        out.push_str(&format!(
            "| {name} | {} | {} |\n",
            row.impressions,
            cells.join(" | ")
        ));
    }
    out
}

/// The report's sentence on the planted partner genre (empty for datasets).
fn planted_line(r: &ExperimentResults) -> String {
    let Some(p) = &r.planted else {
        return String::new();
    };
    let part = |name: &str| p.get(name).copied().unwrap_or_default();
    let pct = |n: usize, d: usize| {
        if d > 0 {
            100.0 * n as f64 / d as f64
        } else {
            0.0
        }
    };
    let (train, test): (PlantedPart, PlantedPart) = (part("train"), part("test"));
    format!(
        "Items of the user's partner genre (the planted off-platform taste) are {:.1}% of training impressions and {:.1}% of training positives, {:.1}% of test impressions and {:.1}% of test positives.\n\n",
        pct(train.partner_impressions, train.impressions),
        pct(train.partner_positives, train.positives),
        pct(test.partner_impressions, test.impressions),
        pct(test.partner_positives, test.positives),
    )
}

/// `report.md`: the table, the slices and the sparse items, linking `gauc.svg` and
/// `popularity.svg`.
pub fn markdown_report(r: &ExperimentResults) -> String {
    let sparse = match &r.evaluation.reaseq_vs_base_cold_long_tail {
        Some(s) => format!(
            "ReaSeq − Base on cold and long-tail items: AUC {:+.4} [{:+.4}, {:+.4}], p = {:.3} ({} impressions).\n",
            s.auc_difference, s.ci[0], s.ci[1], s.p_value, s.impressions
        ),
        None => "ReaSeq − Base on cold and long-tail items: not computable (one class, or a variant missing).\n".to_owned(),
    };
    format!(
        "# ReaSeq ablation on {}\n\nProtocol `{}`{}, seed {}, {} training seeds per variant; {} test impressions of {} users. Made by `reaseq experiment` in {:.0} s.\n\nREP vectors: {}.\n\n{}{}\n![GAUC](gauc.svg)\n\n## Slices (test AUC, mean over seeds)\n\n{}\n{}\n{}\n![AUC by popularity](popularity.svg)\n\n{sparse}",
        r.dataset,
        r.protocol.describe(),
        if r.split.is_per_user() { "" } else { " (one global time split)" },
        r.seed,
        r.seeds,
        r.impressions.test,
        r.test_users,
        r.seconds,
        r.rep.as_ref().map_or_else(
            || "not recorded (made before the source was)".to_owned(),
            RepSource::describe
        ),
        planted_line(r),
        markdown_table(r),
        slice_table(r, "popularity"),
        slice_table(r, "history_length"),
        slice_table(r, "genre"),
    )
}

/// The report's charts: (file name, SVG) for the GAUC bars and the AUC by popularity.
#[cfg(feature = "charts")]
pub fn report_charts(r: &ExperimentResults) -> crate::Result<Vec<(&'static str, String)>> {
    let bars: Vec<(String, f64, f64, f64)> = Variant::ALL
        .iter()
        .filter_map(|&v| r.variant(v).map(|x| (v, x)))
        .map(|(v, x)| (v.name().to_owned(), x.gauc, x.gauc_ci[0], x.gauc_ci[1]))
        .collect();
    let groups: Vec<(String, Vec<f64>)> = r
        .evaluation
        .slices
        .get("popularity")
        .into_iter()
        .flatten()
        .map(|(name, row)| {
            let aucs = Variant::ALL
                .iter()
                .map(|v| row.auc.get(v.name()).copied().flatten().unwrap_or(f64::NAN))
                .collect();
            (name.clone(), aucs)
        })
        .collect();
    let names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
    Ok(vec![
        (
            "gauc.svg",
            crate::report::bar_chart("Test GAUC (95% CI)", &bars)?,
        ),
        (
            "popularity.svg",
            crate::report::grouped_bars("AUC by item popularity", &names, &groups)?,
        ),
    ])
}
