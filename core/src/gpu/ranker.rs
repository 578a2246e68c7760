//! The ranker's forward pass on WebGPU: one kernel (`ranker.wgsl`), its pipeline made once per
//! device, each bundle's parameters uploaded once, and batches of (user, target) pairs scored
//! per dispatch — the full-catalogue ranking and the Compare page's test set.

use crate::error::{Error, Result};
use crate::ranker::packed::PackedRanker;
use crate::ranker::{Ranker, RankerInput};

use super::GpuContext;

/// Threads per workgroup (the shader's `@workgroup_size`).
const WORKGROUP: u32 = 64;
/// Most pairs in one dispatch (the default limit of 65,535 workgroups in x).
const MAX_PAIRS: usize = 65_535 * WORKGROUP as usize;

/// The compiled kernel: the shader module's pipeline and its bind group layout.
pub struct RankerKernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl RankerKernel {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let (pipeline, layout) = ctx
            .scoped("compiling the ranker kernel", || {
                ctx.auto_pipeline("ranker.wgsl", include_str!("ranker.wgsl"), "score")
            })
            .await?;
        Ok(Self { pipeline, layout })
    }
}

/// A ranker's parameters on the device.
pub struct GpuRanker {
    packed: PackedRanker,
    header: wgpu::Buffer,
    params: wgpu::Buffer,
}

fn words(xs: &[u32]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

impl GpuRanker {
    /// Packs `ranker` and uploads it.
    pub async fn new(ctx: &GpuContext, ranker: &Ranker) -> Result<Self> {
        let packed = PackedRanker::new(ranker)?;
        let bytes: Vec<u8> = packed.params.iter().flat_map(|x| x.to_le_bytes()).collect();
        let (header, params) = ctx
            .scoped("uploading a ranker", || {
                let header = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("ranker dims"),
                    size: packed.header.to_bytes().len() as u64,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                (header, ctx.storage("ranker params", &bytes))
            })
            .await?;
        Ok(Self {
            packed,
            header,
            params,
        })
    }

    /// The logit of each `(input, target)` pair: `pairs` index `inputs` (whose own targets are
    /// ignored) and name the item scored.
    pub async fn score_pairs(
        &self,
        ctx: &GpuContext,
        kernel: &RankerKernel,
        inputs: &[RankerInput<'_>],
        pairs: &[(u32, u32)],
    ) -> Result<Vec<f32>> {
        let items = self.packed.header.items;
        if let Some(&(s, t)) = pairs
            .iter()
            .find(|&&(s, t)| s as usize >= inputs.len() || t >= items)
        {
            return Err(Error::Model(format!(
                "ranker: pair ({s}, {t}) outside {} inputs and {items} items",
                inputs.len()
            )));
        }
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let slots = ctx.storage("slots", &words(&self.packed.slots(inputs)?));
        let mut out = Vec::with_capacity(pairs.len());
        for chunk in pairs.chunks(MAX_PAIRS) {
            out.extend(self.dispatch(ctx, kernel, &slots, chunk).await?);
        }
        Ok(out)
    }

    /// Every item's logit for each input (whose target is ignored), input-major.
    pub async fn score_catalogue(
        &self,
        ctx: &GpuContext,
        kernel: &RankerKernel,
        inputs: &[RankerInput<'_>],
    ) -> Result<Vec<f32>> {
        let items = self.packed.header.items;
        let pairs: Vec<(u32, u32)> = (0..inputs.len() as u32)
            .flat_map(|s| (0..items).map(move |t| (s, t)))
            .collect();
        self.score_pairs(ctx, kernel, inputs, &pairs).await
    }

    async fn dispatch(
        &self,
        ctx: &GpuContext,
        kernel: &RankerKernel,
        slots: &wgpu::Buffer,
        pairs: &[(u32, u32)],
    ) -> Result<Vec<f32>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let n = pairs.len() as u32;
        let size = u64::from(n) * 4;
        let flat: Vec<u32> = pairs.iter().flat_map(|&(s, t)| [s, t]).collect();
        let device = &ctx.device;
        let logits = ctx
            .scoped("running the ranker kernel", || {
                let mut header = self.packed.header;
                header.pairs = n;
                ctx.queue.write_buffer(&self.header, 0, &header.to_bytes());
                let pairs = ctx.storage("pairs", &words(&flat));
                let logits = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("logits"),
                    size,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                });
                let group = ctx.bind(
                    "ranker",
                    &kernel.layout,
                    &[&self.header, &self.params, slots, &pairs, &logits],
                );
                ctx.submit_pass("ranker", |pass| {
                    pass.set_pipeline(&kernel.pipeline);
                    pass.set_bind_group(0, &group, &[]);
                    pass.dispatch_workgroups(n.div_ceil(WORKGROUP), 1, 1);
                });
                logits
            })
            .await?;
        ctx.read_f32(&logits, size).await
    }
}
