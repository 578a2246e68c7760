// The diffusion reasoner's forward pass (reasoner/model.rs) over the rows of a batch of
// users, one dispatch per operation, each in the CPU's order of operations. Layouts:
// reasoner/packed.rs. A row is one token of one user; its keys and values go to the user's
// block of `max_len` rows in `kv`, prefix first, so a response row attends to the prefix's
// cached keys and to every response row, as `DiffusionReasoner::forward_response` does.

struct Dims {
    rows: u32, d: u32, heads: u32, hd: u32,
    ffn: u32, vocab: u32, tok: u32, pos: u32,
    kv_layer: u32, x: u32, xn: u32, qkv: u32,
    att: u32, hidden: u32, eps: f32, scale: f32,
}

// One operation: where it reads and writes (f32 offsets into the scratch), its tensors (f32
// offsets into the params), widths, and for `affine` bit 1 = GELU, bit 2 = add into the output.
struct Op {
    input: u32, output: u32, w: u32, b: u32,
    n_in: u32, n_out: u32, flags: u32, layer: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> params: array<f32>;
// Per row: token, position-embedding row, its row in kv, the first and the number of rows it
// attends to.
@group(0) @binding(2) var<storage, read> rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(4) var<storage, read_write> kv: array<f32>;
@group(0) @binding(5) var<storage, read_write> logits: array<f32>;
@group(1) @binding(0) var<uniform> op: Op;

const WORKGROUP: u32 = 64u;
// The longest input (reasoner/packed.rs MAX_LEN).
const MAX_LEN: u32 = 256u;
const ROW: u32 = 5u;

// A thread's index over a dispatch that may be two-dimensional (more than 65,535 groups).
fn index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WORKGROUP;
}

// x = tok_emb[token] + pos_emb[position], one thread per (row, j).
@compute @workgroup_size(64)
fn embed(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    let d = dims.d;
    if i >= dims.rows * d {
        return;
    }
    let r = i / d;
    let j = i % d;
    let t = rows[r * ROW];
    let p = rows[r * ROW + 1u];
    scratch[dims.x + i] = params[dims.tok + t * d + j] + params[dims.pos + p * d + j];
}

// LayerNorm of each row (nn/layer_norm.rs): one thread per row.
@compute @workgroup_size(64)
fn layer_norm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let r = index(gid, groups);
    if r >= dims.rows {
        return;
    }
    let n = dims.d;
    let x = op.input + r * n;
    let y = op.output + r * n;
    var sum = 0.0;
    for (var i = 0u; i < n; i++) {
        sum += scratch[x + i];
    }
    let mean = sum / f32(n);
    var sq = 0.0;
    for (var i = 0u; i < n; i++) {
        let c = scratch[x + i] - mean;
        sq += c * c;
    }
    let inv = 1.0 / sqrt(sq / f32(n) + dims.eps);
    for (var i = 0u; i < n; i++) {
        scratch[y + i] = (scratch[x + i] - mean) * inv * params[op.w + i] + params[op.b + i];
    }
}

// GELU's tanh approximation (nn/activation.rs); tanh is ±1 in f32 beyond |z| = 9, and some
// implementations overflow on a large argument.
fn gelu(x: f32) -> f32 {
    let z = clamp(0.7978846 * (x + 0.044715 * x * x * x), -15.0, 15.0);
    return 0.5 * x * (1.0 + tanh(z));
}

// y = x · W + b (nn/linear.rs), one thread per (row, output).
@compute @workgroup_size(64)
fn affine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    let m = op.n_out;
    if i >= dims.rows * m {
        return;
    }
    let r = i / m;
    let o = i % m;
    let x = op.input + r * op.n_in;
    var acc = params[op.b + o];
    for (var k = 0u; k < op.n_in; k++) {
        acc += scratch[x + k] * params[op.w + k * m + o];
    }
    if (op.flags & 1u) != 0u {
        acc = gelu(acc);
    }
    let y = op.output + r * m + o;
    if (op.flags & 2u) != 0u {
        scratch[y] = scratch[y] + acc;
    } else {
        scratch[y] = acc;
    }
}

// Each row's key and value (the last two thirds of its qkv) into its row of the layer's cache.
@compute @workgroup_size(64)
fn store_kv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    let d = dims.d;
    if i >= dims.rows * d {
        return;
    }
    let r = i / d;
    let j = i % d;
    let at = op.layer * 2u * dims.kv_layer + rows[r * ROW + 2u] * d + j;
    let src = dims.qkv + r * 3u * d;
    kv[at] = scratch[src + d + j];
    kv[at + dims.kv_layer] = scratch[src + 2u * d + j];
}

// One head of one row: softmax(q·k · scale) over the rows it attends to, then Σ w·v.
@compute @workgroup_size(64)
fn attention(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    if i >= dims.rows * dims.heads {
        return;
    }
    let d = dims.d;
    let hd = dims.hd;
    let r = i / dims.heads;
    let h = i % dims.heads;
    let first = rows[r * ROW + 3u];
    let n = rows[r * ROW + 4u];
    let q = dims.qkv + r * 3u * d + h * hd;
    let keys = op.layer * 2u * dims.kv_layer + h * hd;
    let values = keys + dims.kv_layer;
    var s: array<f32, MAX_LEN>;
    var top = bitcast<f32>(0xff7fffffu); // -f32::MAX
    for (var j = 0u; j < n; j++) {
        let k = keys + (first + j) * d;
        var dot = 0.0;
        for (var c = 0u; c < hd; c++) {
            dot += scratch[q + c] * kv[k + c];
        }
        s[j] = dot * dims.scale;
        top = max(top, s[j]);
    }
    var z = 0.0;
    for (var j = 0u; j < n; j++) {
        s[j] = exp(s[j] - top);
        z += s[j];
    }
    let out = dims.att + r * d + h * hd;
    for (var c = 0u; c < hd; c++) {
        var acc = 0.0;
        for (var j = 0u; j < n; j++) {
            acc += (s[j] / z) * kv[values + (first + j) * d + c];
        }
        scratch[out + c] = acc;
    }
}

// The tied output: each normalised row against every token's embedding.
@compute @workgroup_size(64)
fn logits_of(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = index(gid, groups);
    let v = dims.vocab;
    if i >= dims.rows * v {
        return;
    }
    let r = i / v;
    let t = i % v;
    let d = dims.d;
    let x = dims.xn + r * d;
    let e = dims.tok + t * d;
    var acc = 0.0;
    for (var j = 0u; j < d; j++) {
        acc += scratch[x + j] * params[e + j];
    }
    logits[i] = acc;
}
