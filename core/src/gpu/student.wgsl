// The student encoder (knowledge/student.rs, `StudentEncoder::embed`) for a batch of texts, one
// thread per text, in the CPU's order: the mean of its feature rows, tanh, the linear map, the
// L2 norm. The features are hashed on the CPU.

struct Dims {
    texts: u32, hidden: u32, dim: u32, buckets: u32,
    embedding: u32, weight: u32, bias: u32, pad: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// Per text its first feature and count (2 words each), then every text's feature buckets.
@group(0) @binding(2) var<storage, read> features: array<u32>;
@group(0) @binding(3) var<storage, read_write> vectors: array<f32>;

// The widths in knowledge/student.rs's packing (MAX_HIDDEN, MAX_DIM).
var<private> pooled: array<f32, 64>;
var<private> out: array<f32, 128>;

@compute @workgroup_size(64)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if t >= dims.texts {
        return;
    }
    let h = dims.hidden;
    let d = dims.dim;
    let first = features[2u * t];
    let n = features[2u * t + 1u];
    for (var j = 0u; j < h; j++) {
        pooled[j] = 0.0;
    }
    for (var f = 0u; f < n; f++) {
        let row = dims.embedding + features[first + f] * h;
        for (var j = 0u; j < h; j++) {
            pooled[j] += params[row + j];
        }
    }
    if n > 0u {
        for (var j = 0u; j < h; j++) {
            pooled[j] /= f32(n);
        }
    }
    for (var j = 0u; j < d; j++) {
        out[j] = params[dims.bias + j];
    }
    for (var i = 0u; i < h; i++) {
        let a = tanh(clamp(pooled[i], -15.0, 15.0));
        let row = dims.weight + i * d;
        for (var j = 0u; j < d; j++) {
            out[j] += a * params[row + j];
        }
    }
    var sq = 0.0;
    for (var j = 0u; j < d; j++) {
        sq += out[j] * out[j];
    }
    let norm = sqrt(sq);
    for (var j = 0u; j < d; j++) {
        var v = out[j];
        if norm > 0.0 {
            v /= norm;
        }
        vectors[t * d + j] = v;
    }
}
