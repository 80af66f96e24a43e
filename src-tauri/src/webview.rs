//! The app's WebView, platform by platform. On Linux (WebKitGTK) it switches on WebKitGTK's
//! `WebGPU` feature flag when the library has one (`webkit_settings_get_all_features`, 2.42+;
//! looked up at run time so older libraries still start) and reloads the page once so the page
//! sees it. Whether `navigator.gpu` then exists depends on the build: Debian's 2.50 reports the
//! flag enabled yet has no WebGPU backend. The page's own probe reports the result either way.

/// Whether the flag was found, was already on, and is on now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebGpuSwitch {
    pub found: bool,
    pub was_enabled: bool,
    pub enabled: bool,
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::{CStr, c_char, c_int, c_void};

    use super::WebGpuSwitch;

    type GetAll = unsafe extern "C" fn() -> *mut c_void;
    type Len = unsafe extern "C" fn(*mut c_void) -> usize;
    type Get = unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void;
    type Ident = unsafe extern "C" fn(*mut c_void) -> *const c_char;
    type Settings = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
    type GetEnabled = unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int;
    type SetEnabled = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int);
    type Unref = unsafe extern "C" fn(*mut c_void);

    /// A symbol of the already loaded WebKitGTK library, if it has it.
    fn symbol<T: Copy>(name: &CStr) -> Option<T> {
        // SAFETY: dlsym on the global namespace with a NUL-terminated name; the pointer is
        // reinterpreted as the function type WebKitGTK documents for that name.
        let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
        (!p.is_null()).then(|| unsafe { std::mem::transmute_copy::<*mut c_void, T>(&p) })
    }

    /// Switches `WebGPU` on for the WebKitWebView at `view`.
    pub fn enable_webgpu(view: *mut c_void) -> WebGpuSwitch {
        let none = WebGpuSwitch {
            found: false,
            was_enabled: false,
            enabled: false,
        };
        let (
            Some(get_all),
            Some(len),
            Some(get),
            Some(ident),
            Some(settings_of),
            Some(get_on),
            Some(set_on),
            Some(unref),
        ) = (
            symbol::<GetAll>(c"webkit_settings_get_all_features"),
            symbol::<Len>(c"webkit_feature_list_get_length"),
            symbol::<Get>(c"webkit_feature_list_get"),
            symbol::<Ident>(c"webkit_feature_get_identifier"),
            symbol::<Settings>(c"webkit_web_view_get_settings"),
            symbol::<GetEnabled>(c"webkit_settings_get_feature_enabled"),
            symbol::<SetEnabled>(c"webkit_settings_set_feature_enabled"),
            symbol::<Unref>(c"webkit_feature_list_unref"),
        )
        else {
            return none;
        };
        // SAFETY: WebKitGTK's documented API on the main thread (called from with_webview):
        // the feature list is owned by us until unref; features stay valid while it lives;
        // the settings object belongs to the view.
        unsafe {
            let settings = settings_of(view);
            let list = get_all();
            if settings.is_null() || list.is_null() {
                return none;
            }
            let mut result = none;
            for i in 0..len(list) {
                let feature = get(list, i);
                let id = ident(feature);
                if !id.is_null() && CStr::from_ptr(id).to_bytes() == b"WebGPU" {
                    result.found = true;
                    result.was_enabled = get_on(settings, feature) != 0;
                    set_on(settings, feature, 1);
                    result.enabled = get_on(settings, feature) != 0;
                }
            }
            unref(list);
            result
        }
    }
}

/// Switches WebGPU on in the window's WebView where the platform has a switch, reloading the
/// page once when that changed something.
pub fn enable_webgpu<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    {
        let handle = window.clone();
        let done = window.with_webview(move |webview| {
            use glib::object::ObjectType;
            let view = webview.inner();
            let switch = linux::enable_webgpu(view.as_ptr() as *mut std::ffi::c_void);
            tracing::info!(?switch, "WebKitGTK WebGPU feature");
            if switch.found && !switch.was_enabled && switch.enabled {
                // From another thread: reloading from inside this main-thread callback
                // re-enters the WebView and deadlocks.
                std::thread::spawn(move || {
                    if let Err(e) = handle.reload() {
                        tracing::warn!("reloading the page after switching WebGPU on: {e}");
                    }
                });
            }
        });
        if let Err(e) = done {
            tracing::warn!("could not reach the WebView to switch WebGPU on: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
