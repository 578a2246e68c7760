//! Activations of the plain-Rust models (the candle twins use candle's own).

/// GELU, tanh approximation (as candle's `gelu`).
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::tanhf(0.797_884_6 * (x + 0.044_715 * x * x * x)))
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_at_known_points() {
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(1.0) - 0.841_192).abs() < 1e-5);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(-20.0) > 0.0 && sigmoid(20.0) < 1.0 + f32::EPSILON);
    }
}
