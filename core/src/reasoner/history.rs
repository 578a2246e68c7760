//! What the reasoner may read of a user (logged pre-test history only) and how its output is
//! ranked; shared by training, evaluation and the browser.

use crate::data::protocol::{Part, Protocol};
use crate::data::Dataset;

use super::sampler::Inference;

/// A user's logged pre-test history (train and validation events), oldest first.
pub fn logged_history(
    ds: &Dataset,
    protocol: &Protocol,
    user: u32,
    max_history: usize,
) -> Vec<u32> {
    let mut h: Vec<u32> = protocol.timelines[user as usize]
        .iter()
        .filter(|&&i| matches!(protocol.parts[i as usize], Part::Train | Part::Valid))
        .map(|&i| ds.interactions[i as usize].item)
        .collect();
    if h.len() > max_history {
        h.drain(..h.len() - max_history);
    }
    h
}

/// A user's off-log items, oldest first: what the reasoner is supervised with and scored
/// against, never its input.
pub fn off_log_items(ds: &Dataset, protocol: &Protocol, user: u32) -> Vec<u32> {
    protocol
        .events(user, Part::OffLog)
        .map(|i| ds.interactions[i as usize].item)
        .collect()
}

/// The items a user may not be inferred: everything logged before test.
pub fn excluded(ds: &Dataset, protocol: &Protocol, user: u32) -> Vec<bool> {
    let mut x = vec![false; ds.num_items()];
    for &i in &protocol.timelines[user as usize] {
        if matches!(protocol.parts[i as usize], Part::Train | Part::Valid) {
            x[ds.interactions[i as usize].item as usize] = true;
        }
    }
    x
}

/// The inferred items, most confident slot first (mean probability of its committed tokens).
pub fn ranked(out: &Inference) -> Vec<u32> {
    let slots = out.items.len();
    let mut conf = vec![(0f32, 0usize); slots];
    for c in out.trace.iter().flat_map(|s| &s.commits) {
        conf[c.slot].0 += c.prob;
        conf[c.slot].1 += 1;
    }
    let mut order: Vec<usize> = (0..slots).filter(|&s| out.items[s].is_some()).collect();
    let mean = |s: usize| conf[s].0 / conf[s].1.max(1) as f32;
    order.sort_by(|&a, &b| mean(b).total_cmp(&mean(a)).then(a.cmp(&b)));
    order.into_iter().filter_map(|s| out.items[s]).collect()
}
