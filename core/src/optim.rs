//! What the candle trainers share: the AdamW set-up and one optimiser step that reports the loss
//! and refuses a non-finite one.

use candle_core::{DType, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

use crate::error::{Error, Result};

fn cerr(what: &str, e: candle_core::Error) -> Error {
    crate::nn::candle::model_error(&format!("{what} training"))(e)
}

pub fn adamw(what: &str, vars: Vec<Var>, lr: f64, weight_decay: f64) -> Result<AdamW> {
    let params = ParamsAdamW {
        lr,
        weight_decay,
        ..ParamsAdamW::default()
    };
    AdamW::new(vars, params).map_err(|e| cerr(what, e))
}

/// Back-propagates `loss`, steps, and returns its value; a NaN or infinite loss is an error
/// naming the epoch.
pub fn step(what: &str, opt: &mut AdamW, loss: &Tensor, epoch: usize) -> Result<f64> {
    opt.backward_step(loss).map_err(|e| cerr(what, e))?;
    let l = loss
        .to_dtype(DType::F64)
        .and_then(|l| l.to_scalar::<f64>())
        .map_err(|e| cerr(what, e))?;
    if !l.is_finite() {
        return Err(Error::Model(format!(
            "{what} training: loss became {l} in epoch {epoch}"
        )));
    }
    Ok(l)
}
