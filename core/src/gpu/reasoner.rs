//! The diffusion reasoner on WebGPU: the kernels of `reasoner.wgsl` compiled once per device,
//! a model's parameters and a batch's buffers made once, and the sampler run for a batch of
//! users at a time — one prefix pass fills every user's key/value cache, then every denoising
//! step is one forward pass over the open users' responses. The sampler's decisions are the
//! CPU's ([`Sampling`]); only the logits come from the GPU.

use crate::error::{Error, Result};
use crate::reasoner::packed::{Kernel, PackedReasoner, ROW_WORDS};
use crate::reasoner::{DiffusionReasoner, Inference, ItemVocab, SamplerConfig, Sampling};

use super::GpuContext;

/// Threads per workgroup (the shader's `@workgroup_size`).
const WORKGROUP: u32 = 64;
/// Workgroups per dimension (WebGPU's default limit).
const MAX_GROUPS: u32 = 65_535;

/// The compiled kernels and the bind group layouts they share.
pub struct ReasonerKernel {
    pipelines: Vec<(Kernel, wgpu::ComputePipeline)>,
    buffers: wgpu::BindGroupLayout,
    op: wgpu::BindGroupLayout,
}

fn entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

impl ReasonerKernel {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        use wgpu::BufferBindingType::{Storage, Uniform};
        let device = &ctx.device;
        ctx.scoped("compiling the reasoner kernels", || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("reasoner.wgsl"),
                source: wgpu::ShaderSource::Wgsl(include_str!("reasoner.wgsl").into()),
            });
            let read = Storage { read_only: true };
            let write = Storage { read_only: false };
            let buffers = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("reasoner buffers"),
                entries: &[
                    entry(0, Uniform),
                    entry(1, read),
                    entry(2, read),
                    entry(3, write),
                    entry(4, write),
                    entry(5, write),
                ],
            });
            let op = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("reasoner op"),
                entries: &[entry(0, Uniform)],
            });
            let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("reasoner"),
                bind_group_layouts: &[Some(&buffers), Some(&op)],
                immediate_size: 0,
            });
            let pipelines = Kernel::ALL
                .into_iter()
                .map(|k| {
                    let p = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(k.entry_point()),
                        layout: Some(&layout),
                        module: &module,
                        entry_point: Some(k.entry_point()),
                        compilation_options: wgpu::PipelineCompilationOptions::default(),
                        cache: None,
                    });
                    (k, p)
                })
                .collect();
            Self {
                pipelines,
                buffers,
                op,
            }
        })
        .await
    }

    fn pipeline(&self, k: Kernel) -> Result<&wgpu::ComputePipeline> {
        self.pipelines
            .iter()
            .find(|(kernel, _)| *kernel == k)
            .map(|(_, p)| p)
            .ok_or_else(|| Error::Gpu(format!("no pipeline for {}", k.entry_point())))
    }
}

/// A reasoner's parameters and program on the device.
pub struct GpuReasoner {
    packed: PackedReasoner,
    params: wgpu::Buffer,
    /// One per step of the program, its `Op` uniform bound.
    ops: Vec<wgpu::BindGroup>,
}

/// One run's working buffers (rows, scratch, key/value caches, logits and the `Dims` uniform):
/// made per run, so two runs in one worker never share state.
struct RunBuffers {
    dims: wgpu::Buffer,
    rows: wgpu::Buffer,
    logits: wgpu::Buffer,
    /// Rows the logits buffer holds.
    logit_rows: usize,
    group: wgpu::BindGroup,
}

fn bytes_of(xs: &[u32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Workgroups for `threads` threads, in two dimensions beyond the per-dimension limit.
fn groups(threads: u32) -> (u32, u32) {
    let n = threads.div_ceil(WORKGROUP);
    if n <= MAX_GROUPS {
        (n, 1)
    } else {
        (MAX_GROUPS, n.div_ceil(MAX_GROUPS))
    }
}

impl GpuReasoner {
    /// Packs and uploads `model`, with room for batches of `users` users.
    pub async fn new(
        ctx: &GpuContext,
        kernel: &ReasonerKernel,
        model: &DiffusionReasoner,
        users: usize,
    ) -> Result<Self> {
        let packed = PackedReasoner::new(model, users)?;
        let device = &ctx.device;
        ctx.scoped("uploading the reasoner", || {
            let params: Vec<u8> = packed.params.iter().flat_map(|x| x.to_le_bytes()).collect();
            let params = ctx.storage("reasoner params", &params);
            let ops = packed
                .program
                .iter()
                .map(|step| {
                    use wgpu::util::DeviceExt;
                    let op = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some(step.kernel.entry_point()),
                        contents: &step.op.to_bytes(),
                        usage: wgpu::BufferUsages::UNIFORM,
                    });
                    ctx.bind(step.kernel.entry_point(), &kernel.op, &[&op])
                })
                .collect();
            Self {
                packed,
                params,
                ops,
            }
        })
        .await
    }

    /// A run's buffers, with logits for `logit_rows` response rows at most; sizes beyond the
    /// device's binding limit are refused (the CPU then runs this job).
    async fn run_buffers(
        &self,
        ctx: &GpuContext,
        kernel: &ReasonerKernel,
        logit_rows: usize,
    ) -> Result<RunBuffers> {
        use wgpu::BufferUsages as U;
        let (dims, c, capacity) = (self.packed.dims, self.packed.config, self.packed.capacity);
        let bytes = |n: usize| (n as u64).saturating_mul(4);
        let sizes = [
            ("rows", bytes(capacity * ROW_WORDS)),
            ("scratch", bytes(dims.scratch_len(capacity))),
            (
                "key/value cache",
                bytes(c.layers * 2 * dims.kv_layer as usize),
            ),
            ("logits", bytes(logit_rows * c.vocab)),
        ];
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        if let Some((what, size)) = sizes.iter().find(|(_, size)| *size > limit) {
            return Err(Error::Config(format!(
                "the reasoner kernel's {what} would take {size} bytes, this device binds at most {limit}"
            )));
        }
        let buffer = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(4),
                usage,
                mapped_at_creation: false,
            })
        };
        ctx.scoped("allocating the reasoner's buffers", || {
            let dims_buf = buffer(
                "reasoner dims",
                dims.to_bytes().len() as u64,
                U::UNIFORM | U::COPY_DST,
            );
            let rows = buffer("reasoner rows", sizes[0].1, U::STORAGE | U::COPY_DST);
            let scratch = buffer("reasoner scratch", sizes[1].1, U::STORAGE);
            let kv = buffer("reasoner kv", sizes[2].1, U::STORAGE);
            let logits = buffer("reasoner logits", sizes[3].1, U::STORAGE | U::COPY_SRC);
            let group = ctx.bind(
                "reasoner",
                &kernel.buffers,
                &[&dims_buf, &self.params, &rows, &scratch, &kv, &logits],
            );
            RunBuffers {
                dims: dims_buf,
                rows,
                logits,
                logit_rows,
                group,
            }
        })
        .await
    }

    /// One forward pass over `rows` (laid out by [`PackedReasoner`]); the rows' logits when
    /// `logits`, else nothing (a prefix pass only fills the caches).
    async fn pass(
        &self,
        ctx: &GpuContext,
        (kernel, run): (&ReasonerKernel, &RunBuffers),
        rows: &[u32],
        logits: bool,
    ) -> Result<Vec<f32>> {
        let n = (rows.len() / ROW_WORDS) as u32;
        if n == 0 {
            return Ok(Vec::new());
        }
        if logits && n as usize > run.logit_rows {
            return Err(Error::Model(format!(
                "reasoner kernel: logits for {n} rows, room for {}",
                run.logit_rows
            )));
        }
        let mut dims = self.packed.dims;
        dims.rows = n;
        let steps = self.packed.steps(logits);
        let pipelines: Vec<&wgpu::ComputePipeline> = steps
            .iter()
            .map(|s| kernel.pipeline(s.kernel))
            .collect::<Result<_>>()?;
        ctx.scoped("running the reasoner kernels", || {
            ctx.queue.write_buffer(&run.dims, 0, &dims.to_bytes());
            ctx.queue.write_buffer(&run.rows, 0, &bytes_of(rows));
            ctx.submit_pass("reasoner", |pass| {
                pass.set_bind_group(0, &run.group, &[]);
                for ((step, op), pipeline) in steps.iter().zip(&self.ops).zip(pipelines) {
                    pass.set_pipeline(pipeline);
                    pass.set_bind_group(1, op, &[]);
                    let (x, y) = groups(step.threads(&dims, n));
                    pass.dispatch_workgroups(x, y, 1);
                }
            });
        })
        .await?;
        if !logits {
            return Ok(Vec::new());
        }
        ctx.read_f32(&run.logits, u64::from(n) * u64::from(dims.vocab) * 4)
            .await
    }

    /// The sampler for every user (`(history, excluded)`), a batch at a time; `progress`
    /// hears the users done. The same [`Sampling`] as [`crate::reasoner::infer`] decides.
    pub async fn infer(
        &self,
        ctx: &GpuContext,
        kernel: &ReasonerKernel,
        vocab: &ItemVocab,
        users: &[(&[u32], &[bool])],
        cfg: &SamplerConfig,
        progress: &dyn Fn(usize),
    ) -> Result<Vec<Inference>> {
        let v = vocab.size();
        if v != self.packed.config.vocab {
            return Err(Error::Model(format!(
                "reasoner: a vocabulary of {v} tokens for a model of {}",
                self.packed.config.vocab
            )));
        }
        // A batch's response rows: its users' slots × levels.
        let response = cfg.slots * vocab.levels();
        let run = self
            .run_buffers(ctx, kernel, self.packed.users * response)
            .await?;
        let mut out = Vec::with_capacity(users.len());
        for batch in users.chunks(self.packed.users) {
            let mut states: Vec<Sampling> = batch
                .iter()
                .map(|(h, x)| Sampling::new(vocab, h, x, cfg))
                .collect();
            let prefixes: Vec<&[u32]> = states.iter().map(|s| &s.tokens()[..s.prefix()]).collect();
            let rows = self.packed.prefix_rows(&prefixes)?;
            self.pass(ctx, (kernel, &run), &rows, false).await?;
            loop {
                let open: Vec<usize> = (0..states.len())
                    .filter(|&b| !states[b].is_done())
                    .collect();
                if open.is_empty() {
                    break;
                }
                let rows = {
                    let spec: Vec<(usize, usize, &[u32])> = open
                        .iter()
                        .map(|&b| {
                            let s = &states[b];
                            (b, s.prefix(), &s.tokens()[s.prefix()..])
                        })
                        .collect();
                    self.packed.response_rows(&spec)?
                };
                let logits = self.pass(ctx, (kernel, &run), &rows, true).await?;
                let mut at = 0;
                for &b in &open {
                    let s = &mut states[b];
                    let n = (s.tokens().len() - s.prefix()) * v;
                    let mine = logits.get(at..at + n).ok_or_else(|| {
                        Error::Gpu(format!(
                            "{} logits read back, {} expected",
                            logits.len(),
                            at + n
                        ))
                    })?;
                    s.advance(mine)?;
                    at += n;
                }
            }
            out.extend(states.into_iter().map(Sampling::finish));
            progress(out.len());
        }
        Ok(out)
    }
}
