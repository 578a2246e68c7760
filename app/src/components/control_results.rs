//! The ablation's controls as `reaseq experiment --controls` measured them: each one's GAUC, its
//! difference from Base and +GBR's difference from it. Shared by Summary and Compare.

use leptos::prelude::*;
use reaseq_core::experiment::ControlResult;

/// A 95% interval as the tables print it.
pub fn interval(ci: [f64; 2]) -> String {
    format!("[{:.4}, {:.4}]", ci[0], ci[1])
}

/// The controls' table (nothing when the run had none), under the element id `id`.
#[component]
pub fn ControlsTable(controls: Vec<(String, ControlResult)>, id: &'static str) -> impl IntoView {
    (!controls.is_empty()).then(|| {
        view! {
            <h2>"The controls"</h2>
            <table class="figures" id=id>
                <tr><th>"control"</th><th>"what it reads"</th><th>"GAUC [95% CI]"</th><th>"control − Base"</th><th>"+GBR − control"</th></tr>
                {controls.into_iter().map(|(name, c)| {
                    let vs_base = c.result.vs_base.as_ref().map_or_else(
                        || "—".to_owned(),
                        |v| format!("{:+.4} {}", v.gauc.difference, interval(v.gauc.ci)),
                    );
                    let g = &c.gbr_vs_control.gauc;
                    view! {
                        <tr data-control=name.clone()>
                            <td>{name.clone()}</td>
                            <td>{c.description.clone()}</td>
                            <td>{format!("{:.4} {}", c.result.gauc, interval(c.result.gauc_ci))}</td>
                            <td>{vs_base}</td>
                            <td class="gbr-vs-control">{format!("{:+.4} {}", g.difference, interval(g.ci))}</td>
                        </tr>
                    }
                }).collect_view()}
            </table>
            <p class="muted">"Each control is trained on the same rows and seeds as the variants: +GBR's second block over items that carry no inference, or Base with a user embedding. What survives them is what the reasoner's inferences add. Figures: reaseq experiment --controls, mean over seeds."</p>
        }
    })
}
