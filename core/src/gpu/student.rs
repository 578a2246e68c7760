//! The student encoder on WebGPU: one kernel (`student.wgsl`), its pipeline made once per
//! device, a student's weights uploaded once, and a batch of texts embedded per dispatch (their
//! features hashed on the CPU) — the whole catalogue placed as new.

use crate::error::Result;
use crate::knowledge::student::{StudentDims, StudentEncoder};

use super::GpuContext;

/// Threads per workgroup (the shader's `@workgroup_size`).
const WORKGROUP: u32 = 64;
/// Most texts in one dispatch (WebGPU's default 65,535 workgroups).
const MAX_TEXTS: usize = 65_535 * WORKGROUP as usize;

pub struct StudentKernel {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

impl StudentKernel {
    pub async fn new(ctx: &GpuContext) -> Result<Self> {
        let (pipeline, layout) = ctx
            .scoped("compiling the student kernel", || {
                ctx.auto_pipeline("student.wgsl", include_str!("student.wgsl"), "embed")
            })
            .await?;
        Ok(Self { pipeline, layout })
    }
}

/// A student's weights on the device.
pub struct GpuStudent {
    student: StudentEncoder,
    dims: StudentDims,
    header: wgpu::Buffer,
    params: wgpu::Buffer,
}

impl GpuStudent {
    pub async fn new(ctx: &GpuContext, student: &StudentEncoder) -> Result<Self> {
        let (dims, params) = student.packed()?;
        let bytes: Vec<u8> = params.iter().flat_map(|x| x.to_le_bytes()).collect();
        let (header, params) = ctx
            .scoped("uploading the student", || {
                let header = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("student dims"),
                    size: dims.to_bytes().len() as u64,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                (header, ctx.storage("student params", &bytes))
            })
            .await?;
        Ok(Self {
            student: student.clone(),
            dims,
            header,
            params,
        })
    }

    /// The unit vector of every text, as [`StudentEncoder::embed`] gives it.
    pub async fn embed(
        &self,
        ctx: &GpuContext,
        kernel: &StudentKernel,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>> {
        let d = self.dims.dim as usize;
        // Texts per dispatch: the workgroup limit, and the output's binding limit.
        let limit = ctx.device.limits().max_storage_buffer_binding_size;
        let fit = usize::try_from(limit / (4 * d.max(1) as u64)).unwrap_or(usize::MAX);
        let per = MAX_TEXTS.min(fit).max(1);
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(per) {
            let flat = self.dispatch(ctx, kernel, chunk).await?;
            out.extend(flat.chunks_exact(d).map(<[f32]>::to_vec));
        }
        Ok(out)
    }

    async fn dispatch(
        &self,
        ctx: &GpuContext,
        kernel: &StudentKernel,
        texts: &[String],
    ) -> Result<Vec<f32>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let n = texts.len() as u32;
        let size = u64::from(n) * u64::from(self.dims.dim) * 4;
        let batch: Vec<u8> = self
            .student
            .feature_batch(texts)?
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let device = &ctx.device;
        let vectors = ctx
            .scoped("running the student kernel", || {
                let dims = StudentDims {
                    texts: n,
                    ..self.dims
                };
                ctx.queue.write_buffer(&self.header, 0, &dims.to_bytes());
                let features = ctx.storage("student features", &batch);
                let vectors = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("student vectors"),
                    size,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                });
                let group = ctx.bind(
                    "student",
                    &kernel.layout,
                    &[&self.header, &self.params, &features, &vectors],
                );
                ctx.submit_pass("student", |pass| {
                    pass.set_pipeline(&kernel.pipeline);
                    pass.set_bind_group(0, &group, &[]);
                    pass.dispatch_workgroups(n.div_ceil(WORKGROUP), 1, 1);
                });
                vectors
            })
            .await?;
        ctx.read_f32(&vectors, size).await
    }
}
