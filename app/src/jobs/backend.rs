//! Where a job's model work runs: WebGPU when the URL and the browser allow it, else the CPU
//! (the reference). The worker asks for `navigator.gpu`, an adapter and a device once, with a
//! timeout, and compiles the kernels once; any failure then, or a lost device or a kernel's
//! error later, runs the CPU path and says why.

use serde::{Deserialize, Serialize};

/// `?backend=` in the URL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendChoice {
    /// WebGPU when the browser has a hardware adapter, else the CPU.
    #[default]
    Auto,
    WebGpu,
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] = [Self::Auto, Self::WebGpu, Self::Cpu];

    pub fn key(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::WebGpu => "webgpu",
            Self::Cpu => "cpu",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|b| b.key().eq_ignore_ascii_case(s))
    }

    /// The URL's `backend` value: `auto` when absent, and when it does not parse (said in `bad`).
    pub fn from_query(value: Option<String>, bad: &mut Vec<String>) -> Self {
        match value {
            None => Self::Auto,
            Some(k) => Self::parse(&k).unwrap_or_else(|| {
                bad.push(format!("'backend={k}' is not auto, webgpu or cpu"));
                Self::Auto
            }),
        }
    }
}

/// The adapter a job ran on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adapter {
    /// As the browser describes it ("" when it keeps that to itself).
    pub name: String,
    /// A software (fallback) adapter such as SwiftShader: its timings are not a GPU's.
    pub fallback: bool,
}

/// Which backend ran a job, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendUsed {
    pub asked: BackendChoice,
    /// True when the job's model work ran on WebGPU.
    pub webgpu: bool,
    pub adapter: Option<Adapter>,
    /// Why the CPU ran although WebGPU was asked for (or allowed, with `auto`).
    pub fallback_reason: Option<String>,
    /// WebGPU was there, but `auto` left its software adapter for the CPU path.
    #[serde(default)]
    pub software_adapter_left: bool,
    /// Milliseconds this worker spent once on the device, and on the shader modules and
    /// pipelines (made once per worker, reused by every job).
    pub device_ms: Option<f64>,
    pub pipelines_ms: Option<f64>,
}

impl BackendUsed {
    pub fn cpu(asked: BackendChoice, fallback_reason: Option<String>) -> Self {
        Self {
            asked,
            webgpu: false,
            adapter: None,
            fallback_reason,
            software_adapter_left: false,
            device_ms: None,
            pipelines_ms: None,
        }
    }

    /// "WebGPU" or "CPU": the name the page shows and the tests read.
    pub fn name(&self) -> &'static str {
        if self.webgpu {
            "WebGPU"
        } else {
            "CPU"
        }
    }

    /// One line for the page: what ran, on which adapter, and why not WebGPU.
    pub fn describe(&self) -> String {
        match (&self.adapter, &self.fallback_reason) {
            (Some(a), _) if self.webgpu => format!(
                "Computed on WebGPU — adapter {}{}.",
                if a.name.is_empty() {
                    "(unnamed)"
                } else {
                    &a.name
                },
                if a.fallback {
                    ", a software (fallback) adapter: its timings are not a GPU's"
                } else {
                    ""
                }
            ),
            (_, Some(why)) if self.software_adapter_left => format!("Computed on the CPU — {why}."),
            (_, Some(why)) => format!("Computed on the CPU — WebGPU unavailable: {why}."),
            _ => "Computed on the CPU (?backend=cpu).".into(),
        }
    }
}

#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub use device::{gpu, Gpu};

#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
mod device {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;

    use reaseq_core::gpu::{
        GpuContext, GpuRanker, GpuReasoner, GpuStudent, RankerKernel, ReasonerKernel, StudentKernel,
    };
    use reaseq_core::knowledge::student::StudentEncoder;
    use reaseq_core::ranker::Ranker;
    use reaseq_core::reasoner::DiffusionReasoner;
    use wasm_bindgen::{JsCast, JsValue};

    use super::{Adapter, BackendChoice, BackendUsed};
    use crate::loading::now;

    /// How long the browser may take to give an adapter and a device.
    const TIMEOUT_MS: i32 = 5_000;

    /// The worker's device and compiled kernels.
    pub struct Gpu {
        pub ctx: GpuContext,
        pub ranker: RankerKernel,
        pub reasoner: ReasonerKernel,
        pub student: StudentKernel,
        device_ms: f64,
        pipelines_ms: f64,
        /// Each bundle's parameters on the device, by its key.
        rankers: RefCell<HashMap<String, Rc<GpuRanker>>>,
        reasoners: RefCell<HashMap<String, Rc<GpuReasoner>>>,
        students: RefCell<HashMap<String, Rc<GpuStudent>>>,
    }

    impl Gpu {
        pub fn used(&self, asked: BackendChoice) -> BackendUsed {
            BackendUsed {
                asked,
                webgpu: true,
                adapter: Some(Adapter {
                    name: self.ctx.adapter.name.clone(),
                    fallback: self.ctx.adapter.fallback,
                }),
                fallback_reason: None,
                software_adapter_left: false,
                device_ms: Some(self.device_ms),
                pipelines_ms: Some(self.pipelines_ms),
            }
        }

        /// `ranker` on the device, uploaded once per `key`.
        pub async fn ranker(
            &self,
            key: &str,
            ranker: &Ranker,
        ) -> reaseq_core::error::Result<Rc<GpuRanker>> {
            if let Some(r) = self.rankers.borrow().get(key) {
                return Ok(r.clone());
            }
            let r = Rc::new(GpuRanker::new(&self.ctx, ranker).await?);
            self.rankers.borrow_mut().insert(key.to_owned(), r.clone());
            Ok(r)
        }

        /// `model` on the device with its batch buffers, uploaded once per `key`.
        pub async fn reasoner(
            &self,
            key: &str,
            model: &DiffusionReasoner,
        ) -> reaseq_core::error::Result<Rc<GpuReasoner>> {
            if let Some(r) = self.reasoners.borrow().get(key) {
                return Ok(r.clone());
            }
            let users = crate::jobs::every::USERS_PER_BATCH;
            let r = Rc::new(GpuReasoner::new(&self.ctx, &self.reasoner, model, users).await?);
            self.reasoners
                .borrow_mut()
                .insert(key.to_owned(), r.clone());
            Ok(r)
        }

        /// `student` on the device, uploaded once per `key`.
        pub async fn student(
            &self,
            key: &str,
            student: &StudentEncoder,
        ) -> reaseq_core::error::Result<Rc<GpuStudent>> {
            if let Some(s) = self.students.borrow().get(key) {
                return Ok(s.clone());
            }
            let s = Rc::new(GpuStudent::new(&self.ctx, student).await?);
            self.students.borrow_mut().insert(key.to_owned(), s.clone());
            Ok(s)
        }
    }

    thread_local! {
        /// Made once per worker: the device, or why there is none.
        static GPU: RefCell<Option<Result<Rc<Gpu>, String>>> = const { RefCell::new(None) };
    }

    /// Resolves after `ms` milliseconds (the worker's `setTimeout`).
    async fn sleep(ms: i32) {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let global: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
            let _ = global.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }

    async fn make() -> Result<Gpu, String> {
        let t = now();
        let request = async { GpuContext::request().await.map_err(|e| e.to_string()) };
        let timeout = async {
            sleep(TIMEOUT_MS).await;
            Err(format!("no device after {} s", TIMEOUT_MS / 1000))
        };
        let ctx = futures::future::select(std::pin::pin!(request), std::pin::pin!(timeout))
            .await
            .factor_first()
            .0?;
        let device_ms = now() - t;
        let t = now();
        let ranker = RankerKernel::new(&ctx).await.map_err(|e| e.to_string())?;
        let reasoner = ReasonerKernel::new(&ctx).await.map_err(|e| e.to_string())?;
        let student = StudentKernel::new(&ctx).await.map_err(|e| e.to_string())?;
        Ok(Gpu {
            ctx,
            ranker,
            reasoner,
            student,
            device_ms,
            pipelines_ms: now() - t,
            rankers: RefCell::default(),
            reasoners: RefCell::default(),
            students: RefCell::default(),
        })
    }

    /// The device for a job that asked for `asked`: `Err` with the reason to show when the CPU
    /// must run (asked for, or WebGPU unavailable).
    pub async fn gpu(asked: BackendChoice) -> Result<Rc<Gpu>, BackendUsed> {
        if asked == BackendChoice::Cpu {
            return Err(BackendUsed::cpu(asked, None));
        }
        let known = GPU.with(|g| g.borrow().clone());
        let state = match known {
            Some(s) => s,
            None => {
                let s = make().await.map(Rc::new);
                if let Err(why) = &s {
                    web_sys::console::info_1(&JsValue::from_str(&format!(
                        "WebGPU unavailable, the CPU runs: {why}"
                    )));
                }
                GPU.with(|g| *g.borrow_mut() = Some(s.clone()));
                s
            }
        };
        match state {
            // A software adapter runs the kernels on this CPU, slower than the CPU path
            // (docs/results/webgpu.md): `auto` keeps the CPU; `webgpu` asks for it anyway.
            Ok(g) if asked == BackendChoice::Auto && g.ctx.adapter.fallback => {
                let named = if g.ctx.adapter.name.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", g.ctx.adapter.name)
                };
                Err(BackendUsed {
                    software_adapter_left: true,
                    ..BackendUsed::cpu(
                        asked,
                        Some(format!(
                            "the browser's only WebGPU adapter{named} is a software one, slower \
                             here than the CPU path (?backend=webgpu uses it anyway)"
                        )),
                    )
                })
            }
            Ok(g) => match g.ctx.check() {
                Ok(()) => Ok(g),
                Err(e) => {
                    // A lost device stays lost: later jobs go straight to the CPU.
                    let why = e.to_string();
                    GPU.with(|s| *s.borrow_mut() = Some(Err(why.clone())));
                    Err(BackendUsed::cpu(asked, Some(why)))
                }
            },
            Err(why) => Err(BackendUsed::cpu(asked, Some(why))),
        }
    }

    /// Gives up the device after a kernel failed on it: later jobs run on the CPU and say why.
    pub fn failed(why: &str) {
        GPU.with(|g| *g.borrow_mut() = Some(Err(why.to_owned())));
    }
}

#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub use device::failed;
