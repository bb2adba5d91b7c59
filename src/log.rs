//! Console output under the app's `logFilter` (`AgoraRTM.LOG_FILTER_*`), and
//! to the app's `LOG_HANDLER` parameter when it set one.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

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

/// Which levels are written: the `LogFilterType` of the Agora API
/// (`{error, warn, info, track, debug}`). This SDK writes no track or debug
/// lines; the flags are kept so a filter reads back as it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogFilter([bool; 5]);

const KEYS: [&str; 5] = ["error", "warn", "info", "track", "debug"];

impl Default for LogFilter {
    /// Agora's default, `LOG_FILTER_INFO`.
    fn default() -> Self {
        LogFilter::INFO
    }
}

impl LogFilter {
    /// `LOG_FILTER_OFF`.
    pub const OFF: LogFilter = LogFilter([false; 5]);
    /// `LOG_FILTER_ERROR`.
    pub const ERROR: LogFilter = LogFilter([true, false, false, false, false]);
    /// `LOG_FILTER_WARNING`.
    pub const WARNING: LogFilter = LogFilter([true, true, false, false, false]);
    /// `LOG_FILTER_INFO`.
    pub const INFO: LogFilter = LogFilter([true, true, true, false, false]);
    /// `LOG_FILTER_DEBUG`.
    pub const DEBUG: LogFilter = LogFilter([true; 5]);

    /// The JS object of the Agora API.
    pub fn to_js(self) -> JsValue {
        let obj = Object::new();
        for (k, v) in KEYS.iter().zip(self.0) {
            let _ = Reflect::set(&obj, &(*k).into(), &v.into());
        }
        obj.into()
    }

    /// The `logFilter` of an `RtmConfig`, if it has one.
    pub fn from_config(config: &JsValue) -> Option<LogFilter> {
        if !config.is_object() {
            return None;
        }
        let filter = Reflect::get(config, &"logFilter".into()).ok().filter(|f| f.is_object())?;
        Some(LogFilter(KEYS.map(|k| Reflect::get(&filter, &k.into()).is_ok_and(|v| v.is_truthy()))))
    }

    /// Writes `message` if `level` passes: to the console, and to the
    /// `LOG_HANDLER` parameter as `{level, message}` (Agora's level names).
    pub fn write(self, level: Level, message: &str) {
        let [error, warn, info, ..] = self.0;
        let (passes, name) = match level {
            Level::Error => (error, "error"),
            Level::Warn => (warn, "warning"),
            Level::Info => (info, "log"),
        };
        if !passes {
            return;
        }
        let line = JsValue::from_str(&["rtm-wasm: ", message].concat());
        if let Ok(handler) = crate::params::get("LOG_HANDLER").dyn_into::<Function>() {
            let record = Object::new();
            let _ = Reflect::set(&record, &"level".into(), &name.into());
            let _ = Reflect::set(&record, &"message".into(), &line);
            let _ = handler.call1(&JsValue::UNDEFINED, &record);
        }
        match level {
            Level::Error => web_sys::console::error_1(&line),
            Level::Warn => web_sys::console::warn_1(&line),
            Level::Info => web_sys::console::info_1(&line),
        }
    }
}
