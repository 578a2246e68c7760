// The ranker's forward pass (ranker/model.rs, `Ranker::score`), one thread per (user slot,
// target) pair, in the CPU's order of operations. Layouts: ranker/packed.rs.

struct Dims {
    items: u32, d: u32, h: u32, m0: u32,
    m1: u32, user_dim: u32, blocks: u32, pairs: u32,
    max_history: u32, max_gbr: u32, slot_stride: u32, table: u32,
    keys0: u32, keys1: u32, att0: u32, att1: u32,
    mlp1_w: u32, mlp1_b: u32, mlp2_w: u32, mlp2_b: u32,
    out_w: u32, out_b: u32, user_emb: u32, users: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> slots: array<u32>;
// Per pair: its slot, its target.
@group(0) @binding(3) var<storage, read> pairs: array<u32>;
@group(0) @binding(4) var<storage, read_write> logits: array<f32>;

// Widths as in ranker/packed.rs (MAX_ITEM_DIM, MAX_ATT_HIDDEN, MAX_MLP0, MAX_MLP1).
var<private> v: array<f32, 64>;
var<private> pooled: array<f32, 64>;
var<private> base: array<f32, 64>;
var<private> hidden: array<f32, 64>;
var<private> h0: array<f32, 128>;
var<private> h1: array<f32, 64>;

// h0 += x · W1[row .. row + d] for one d-wide segment of the head's input:
// 0 = the target, 1 = the pooled sequence, 2 = pooled ⊙ target.
fn head_segment(row: u32, which: u32) {
    for (var i = 0u; i < dims.d; i++) {
        var x = v[i];
        if which == 1u {
            x = pooled[i];
        } else if which == 2u {
            x = pooled[i] * v[i];
        }
        let w = dims.mlp1_w + (row + i) * dims.m0;
        for (var j = 0u; j < dims.m0; j++) {
            h0[j] += x * params[w + j];
        }
    }
}

// DIN's activation unit over `n` items of the slot from word `seq`: pooled = Σ a·e / n.
fn attend(att: u32, keys: u32, seq: u32, n: u32) {
    let d = dims.d;
    let h = dims.h;
    let wbc = att + h;
    let wd = wbc + d * h;
    let w2 = wd + d * h;
    let b2 = params[w2 + h];
    for (var j = 0u; j < h; j++) {
        base[j] = params[att + j];
    }
    for (var k = 0u; k < d; k++) {
        for (var j = 0u; j < h; j++) {
            base[j] += v[k] * params[wbc + k * h + j];
        }
    }
    for (var k = 0u; k < d; k++) {
        pooled[k] = 0.0;
    }
    for (var t = 0u; t < n; t++) {
        let item = slots[seq + t];
        let e = dims.table + item * d;
        let key = keys + item * h;
        for (var j = 0u; j < h; j++) {
            hidden[j] = base[j] + params[key + j];
        }
        for (var k = 0u; k < d; k++) {
            let ev = params[e + k] * v[k];
            for (var j = 0u; j < h; j++) {
                hidden[j] += ev * params[wd + k * h + j];
            }
        }
        var s = b2;
        for (var j = 0u; j < h; j++) {
            s += max(hidden[j], 0.0) * params[w2 + j];
        }
        let a = 1.0 / (1.0 + exp(-s));
        for (var k = 0u; k < d; k++) {
            pooled[k] += a * params[e + k];
        }
    }
    if n > 0u {
        for (var k = 0u; k < d; k++) {
            pooled[k] /= f32(n);
        }
    }
}

@compute @workgroup_size(64)
fn score(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = gid.x;
    if p >= dims.pairs {
        return;
    }
    let d = dims.d;
    let slot = pairs[2u * p] * dims.slot_stride;
    let tgt = pairs[2u * p + 1u];
    for (var k = 0u; k < d; k++) {
        v[k] = params[dims.table + tgt * d + k];
    }
    for (var j = 0u; j < dims.m0; j++) {
        h0[j] = params[dims.mlp1_b + j];
    }
    head_segment(0u, 0u);
    attend(dims.att0, dims.keys0, slot + 3u, slots[slot]);
    head_segment(d, 1u);
    head_segment(2u * d, 2u);
    var row = 3u * d;
    if dims.blocks == 2u {
        attend(dims.att1, dims.keys1, slot + 3u + dims.max_history, slots[slot + 1u]);
        head_segment(row, 1u);
        head_segment(row + d, 2u);
        row += 2u * d;
    }
    let user = slots[slot + 2u];
    if dims.user_dim > 0u && user > 0u {
        let u = dims.user_emb + (user - 1u) * dims.user_dim;
        for (var i = 0u; i < dims.user_dim; i++) {
            let x = params[u + i];
            let w = dims.mlp1_w + (row + i) * dims.m0;
            for (var j = 0u; j < dims.m0; j++) {
                h0[j] += x * params[w + j];
            }
        }
    }
    for (var j = 0u; j < dims.m1; j++) {
        h1[j] = params[dims.mlp2_b + j];
    }
    for (var i = 0u; i < dims.m0; i++) {
        let x = max(h0[i], 0.0);
        for (var j = 0u; j < dims.m1; j++) {
            h1[j] += x * params[dims.mlp2_w + i * dims.m1 + j];
        }
    }
    var logit = params[dims.out_b];
    for (var i = 0u; i < dims.m1; i++) {
        logit += max(h1[i], 0.0) * params[dims.out_w + i];
    }
    logits[p] = logit;
}
