//! WebGPU: a device found at run time and WGSL compute kernels that run the models' batched
//! forward passes. The plain-Rust CPU path is the reference and the fallback; every error here
//! (no `navigator.gpu`, no adapter, a lost device, a kernel's validation error) is an
//! [`Error::Gpu`] the caller can fall back on. Reading results back is asynchronous (a mapped
//! staging buffer awaited as a promise): a blocking poll would deadlock the browser.

mod ranker;
mod reasoner;
mod student;

pub use ranker::{GpuRanker, RankerKernel};
pub use reasoner::{GpuReasoner, ReasonerKernel};
pub use student::{GpuStudent, StudentKernel};

use std::sync::{Arc, Mutex};

use wasm_bindgen::JsValue;

use crate::error::{Error, Result};

/// What the adapter says of itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AdapterSummary {
    /// The adapter's description ("" when the browser keeps it to itself).
    pub name: String,
    /// A software (fallback) adapter, such as SwiftShader: its timings are not a GPU's.
    pub fallback: bool,
}

/// A WebGPU device and what went wrong on it outside an error scope.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    trouble: Arc<Mutex<Option<String>>>,
}

/// Whether this global scope (window or worker) has `navigator.gpu`.
fn has_navigator_gpu() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &JsValue::from_str("navigator"))
        .ok()
        .filter(|n| !n.is_undefined())
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("gpu")).ok())
        .is_some_and(|g| !g.is_undefined() && !g.is_null())
}

impl GpuContext {
    /// Asks for `navigator.gpu`, an adapter and a device; an error says which step failed.
    pub async fn request() -> Result<Self> {
        if !has_navigator_gpu() {
            return Err(Error::Gpu("this browser has no navigator.gpu".into()));
        }
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = wgpu::Backends::BROWSER_WEBGPU;
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                compatible_surface: None,
                ..wgpu::RequestAdapterOptions::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("no adapter ({e})")))?;
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("reaseq"),
                required_limits: adapter.limits(),
                ..wgpu::DeviceDescriptor::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("no device ({e})")))?;
        let trouble: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = trouble.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut t) = sink.lock() {
                t.get_or_insert_with(|| e.to_string());
            }
        }));
        let sink = trouble.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut t) = sink.lock() {
                t.get_or_insert_with(|| format!("device lost ({reason:?}): {message}"));
            }
        });
        Ok(Self {
            device,
            queue,
            adapter: AdapterSummary {
                name: info.name,
                fallback: info.device_type == wgpu::DeviceType::Cpu,
            },
            trouble,
        })
    }

    /// An error when the device was lost or reported an error outside a scope.
    pub fn check(&self) -> Result<()> {
        match self.trouble.lock().ok().and_then(|t| t.clone()) {
            Some(t) => Err(Error::Gpu(t)),
            None => Ok(()),
        }
    }

    /// Runs `f` inside validation and out-of-memory error scopes; their errors become
    /// [`Error::Gpu`] naming `what`.
    pub async fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T> {
        self.check()?;
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let invalid = validation.pop().await;
        let oom = memory.pop().await;
        match invalid.or(oom) {
            Some(e) => Err(Error::Gpu(format!("{what}: {e}"))),
            None => Ok(out),
        }
    }

    /// The pipeline of `source`'s entry point `entry` with the layout the shader implies, and
    /// its bind group 0's layout (kernels with one group).
    fn auto_pipeline(
        &self,
        label: &str,
        source: &str,
        entry: &str,
    ) -> (wgpu::ComputePipeline, wgpu::BindGroupLayout) {
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(label),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(label),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            });
        let layout = pipeline.get_bind_group_layout(0);
        (pipeline, layout)
    }

    /// A bind group of `buffers`, bound 0, 1, … in order.
    fn bind(
        &self,
        label: &str,
        layout: &wgpu::BindGroupLayout,
        buffers: &[&wgpu::Buffer],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout,
            entries: &entries,
        })
    }

    /// One compute pass, recorded by `record`, submitted.
    fn submit_pass(&self, label: &str, record: impl FnOnce(&mut wgpu::ComputePass<'_>)) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            record(&mut pass);
        }
        self.queue.submit([encoder.finish()]);
    }

    /// A read-only storage buffer holding `bytes`.
    fn storage(&self, label: &str, bytes: &[u8]) -> wgpu::Buffer {
        use wgpu::util::DeviceExt;
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytes,
                usage: wgpu::BufferUsages::STORAGE,
            })
    }

    /// Copies `size` bytes of `from` into a mappable buffer and reads them back as `f32`s.
    async fn read_f32(&self, from: &wgpu::Buffer, size: u64) -> Result<Vec<f32>> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(from, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        let slice = staging.slice(..);
        let mapped = js_sys::Promise::new(&mut |resolve, reject| {
            slice.map_async(wgpu::MapMode::Read, move |r| {
                let _ = match r {
                    Ok(()) => resolve.call0(&JsValue::NULL),
                    Err(e) => reject.call1(&JsValue::NULL, &JsValue::from_str(&e.to_string())),
                };
            });
        });
        wasm_bindgen_futures::JsFuture::from(mapped)
            .await
            .map_err(|e| Error::Gpu(format!("reading results back: {e:?}")))?;
        let out = {
            let bytes = slice
                .get_mapped_range()
                .map_err(|e| Error::Gpu(format!("reading results back: {e}")))?;
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        staging.unmap();
        self.check()?;
        Ok(out)
    }
}
