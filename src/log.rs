//! Console output under the app's `logFilter` (`AgoraRTM.LOG_FILTER_*`).

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A console level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Failures.
    Error,
    /// Trouble the SDK works around.
    Warn,
    /// State changes worth knowing.
    Info,
}

/// Which levels are written: the `LogFilterType` of the Agora API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogFilter {
    error: bool,
    warn: bool,
    info: bool,
}

impl Default for LogFilter {
    /// Errors and warnings: what a developer needs without noise.
    fn default() -> Self {
        LogFilter::WARNING
    }
}

impl LogFilter {
    /// `LOG_FILTER_OFF`.
    pub const OFF: LogFilter = LogFilter { error: false, warn: false, info: false };
    /// `LOG_FILTER_ERROR`.
    pub const ERROR: LogFilter = LogFilter { error: true, warn: false, info: false };
    /// `LOG_FILTER_WARNING`.
    pub const WARNING: LogFilter = LogFilter { error: true, warn: true, info: false };
    /// `LOG_FILTER_INFO`.
    pub const INFO: LogFilter = LogFilter { error: true, warn: true, info: true };

    /// The JS object of the Agora API (`{error, warn, info, track, debug}`).
    pub fn to_js(self) -> JsValue {
        let obj = Object::new();
        for (k, v) in [
            ("error", self.error),
            ("warn", self.warn),
            ("info", self.info),
            ("track", false),
            ("debug", false),
        ] {
            let _ = Reflect::set(&obj, &k.into(), &v.into());
        }
        Object::freeze(&obj).into()
    }

    /// The `logFilter` of an `RtmConfig`, if it has one.
    pub fn from_config(config: &JsValue) -> Option<LogFilter> {
        if !config.is_object() {
            return None;
        }
        let filter = Reflect::get(config, &"logFilter".into()).ok().filter(|f| f.is_object())?;
        let flag = |k: &str| Reflect::get(&filter, &k.into()).is_ok_and(|v| v.is_truthy());
        Some(LogFilter { error: flag("error"), warn: flag("warn"), info: flag("info") })
    }

    /// Writes `message` if `level` passes.
    pub fn write(self, level: Level, message: &str) {
        let line = JsValue::from_str(&format!("rtm-wasm: {message}"));
        match level {
            Level::Error if self.error => web_sys::console::error_1(&line),
            Level::Warn if self.warn => web_sys::console::warn_1(&line),
            Level::Info if self.info => web_sys::console::info_1(&line),
            _ => {}
        }
    }
}
