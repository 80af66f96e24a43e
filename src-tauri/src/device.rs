//! What this machine is: OS, CPU, memory from `sysinfo`, and the device type derived from the
//! firmware's chassis type and the presence of a system battery — evidence, not a guess.
//!
//! The derivation is a pure function ([`classify`]) over [`DeviceSignals`], so the mapping is tested
//! on fixtures; reading the signals is per platform (Linux: `/sys/class/dmi/id/chassis_type` and
//! `/sys/class/power_supply`; macOS: `hw.model`; Windows: `Win32_SystemEnclosure`).

use std::path::Path;

use datagata_ipc::{DeviceFacts, DeviceType};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("could not read this machine's facts from the operating system: {0}")]
    System(#[from] sysinfo::Error),
}

/// The raw evidence the device type is derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceSignals {
    /// SMBIOS "System Enclosure or Chassis Type" (DMTF DSP0134, table 17), when the firmware
    /// exposes one.
    pub chassis_type: Option<u8>,
    /// Whether a battery powers the system itself (not a mouse's or a UPS's).
    /// `None` when the platform gave no answer.
    pub system_battery: Option<bool>,
}

/// What a chassis type says on its own.
fn chassis_device_type(code: u8) -> Option<(DeviceType, &'static str)> {
    use DeviceType::*;
    Some(match code {
        3 => (Desktop, "Desktop"),
        4 => (Desktop, "Low Profile Desktop"),
        5 => (Desktop, "Pizza Box"),
        6 => (Desktop, "Mini Tower"),
        7 => (Desktop, "Tower"),
        13 => (Desktop, "All in One"),
        15 => (Desktop, "Space-saving"),
        16 => (Desktop, "Lunch Box"),
        17 => (Desktop, "Main Server Chassis"),
        23 => (Desktop, "Rack Mount Chassis"),
        24 => (Desktop, "Sealed-case PC"),
        35 => (Desktop, "Mini PC"),
        36 => (Desktop, "Stick PC"),
        8 => (Laptop, "Portable"),
        9 => (Laptop, "Laptop"),
        10 => (Laptop, "Notebook"),
        14 => (Laptop, "Sub Notebook"),
        31 => (Laptop, "Convertible"),
        30 => (Tablet, "Tablet"),
        32 => (Tablet, "Detachable"),
        11 => (Mobile, "Hand Held"),
        // 1 Other, 2 Unknown, docking stations, expansion chassis, blades…: no verdict.
        _ => return None,
    })
}

/// Derives the device type from the evidence, and says which evidence decided it.
///
/// A chassis type that names a form factor wins. Without one (virtual machines report "Other",
/// many containers expose no DMI at all), a system battery means a laptop and its absence a
/// desktop. With neither, the answer is desktop, and the reason says that nothing was known.
pub fn classify(signals: &DeviceSignals) -> (DeviceType, String) {
    if let Some(code) = signals.chassis_type
        && let Some((kind, name)) = chassis_device_type(code)
    {
        return (kind, format!("chassis type {code} ({name})"));
    }
    let chassis = match signals.chassis_type {
        Some(code) => format!("chassis type {code} names no form factor"),
        None => "no chassis type from the firmware".to_string(),
    };
    match signals.system_battery {
        Some(true) => (
            DeviceType::Laptop,
            format!("{chassis}; a system battery is present"),
        ),
        Some(false) => (DeviceType::Desktop, format!("{chassis}; no system battery")),
        None => (
            DeviceType::Desktop,
            format!("{chassis}; battery state unknown, assumed desktop"),
        ),
    }
}

/// Reads the Linux signals under `root` (`/` on a real machine, a fixture directory in tests).
pub fn read_linux_signals(root: &Path) -> DeviceSignals {
    let chassis_type = std::fs::read_to_string(root.join("sys/class/dmi/id/chassis_type"))
        .ok()
        .and_then(|s| s.trim().parse::<u8>().ok());
    let supplies = root.join("sys/class/power_supply");
    let system_battery = std::fs::read_dir(&supplies).ok().map(|entries| {
        entries.flatten().any(|entry| {
            let read = |name: &str| {
                std::fs::read_to_string(entry.path().join(name))
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default()
            };
            // Peripherals (mice, keyboards) report scope "Device"; the system's own has none
            // or "System".
            read("type") == "Battery" && read("scope") != "Device"
        })
    });
    DeviceSignals {
        chassis_type,
        system_battery,
    }
}

/// Maps a Mac model identifier (`sysctl hw.model`) to a chassis type. Since 2022 Apple names many
/// models "MacNN,N" whatever their form, so those give no verdict and the battery decides.
pub fn mac_model_chassis(model: &str) -> Option<u8> {
    let model = model.trim();
    [
        ("MacBook", 10), // Notebook
        ("iMac", 13),    // All in One
        ("iPad", 30),    // Tablet
        ("Macmini", 35), // Mini PC
        ("MacPro", 7),   // Tower
    ]
    .iter()
    .find(|(prefix, _)| model.starts_with(prefix))
    .map(|&(_, code)| code)
}

#[cfg(target_os = "linux")]
fn read_signals() -> DeviceSignals {
    read_linux_signals(Path::new("/"))
}

#[cfg(target_os = "macos")]
fn read_signals() -> DeviceSignals {
    let model = std::process::Command::new("sysctl")
        .args(["-n", "hw.model"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let batteries = std::process::Command::new("pmset")
        .args(["-g", "batt"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("InternalBattery"));
    DeviceSignals {
        chassis_type: mac_model_chassis(&model),
        system_battery: batteries,
    }
}

#[cfg(target_os = "windows")]
fn read_signals() -> DeviceSignals {
    let query = |script: &str| {
        std::process::Command::new("powershell")
            .args(["-NoProfile", "-NonInteractive", "-Command", script])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let chassis =
        query("(Get-CimInstance Win32_SystemEnclosure).ChassisTypes | Select-Object -First 1");
    let batteries = query("@(Get-CimInstance Win32_Battery).Count");
    DeviceSignals {
        chassis_type: chassis.trim().parse().ok(),
        system_battery: batteries.trim().parse::<u32>().ok().map(|n| n > 0),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
fn read_signals() -> DeviceSignals {
    DeviceSignals::default()
}

/// Reads this machine's facts. The WebGPU part is filled in later by the WebView's report.
pub fn detect() -> Result<DeviceFacts, DeviceError> {
    let sys = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    )?;
    let cpu_brand = sys
        .cpus()
        .first()
        .map(|cpu| cpu.brand().trim().to_string())
        .filter(|brand| !brand.is_empty())
        .unwrap_or_else(|| "unknown CPU".to_string());
    let (device_type, device_type_reason) = classify(&read_signals());
    Ok(DeviceFacts {
        os: std::env::consts::OS.to_string(),
        os_version: System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.to_string()),
        arch: System::cpu_arch(),
        cpu_brand,
        cpu_cores: sys.cpus().len(),
        physical_cores: System::physical_core_count().ok(),
        memory_bytes: sys.total_memory(),
        device_type,
        device_type_reason,
        webgpu: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn signals(chassis_type: Option<u8>, system_battery: Option<bool>) -> DeviceSignals {
        DeviceSignals {
            chassis_type,
            system_battery,
        }
    }

    #[test]
    fn chassis_type_decides_when_it_names_a_form_factor() {
        // A tower with a UPS reporting as a battery is still a desktop.
        assert_eq!(
            classify(&signals(Some(7), Some(true))).0,
            DeviceType::Desktop
        );
        assert_eq!(classify(&signals(Some(3), None)).0, DeviceType::Desktop);
        assert_eq!(
            classify(&signals(Some(35), Some(false))).0,
            DeviceType::Desktop
        );
        // A notebook on mains with its battery removed is still a laptop.
        assert_eq!(
            classify(&signals(Some(10), Some(false))).0,
            DeviceType::Laptop
        );
        assert_eq!(classify(&signals(Some(9), None)).0, DeviceType::Laptop);
        assert_eq!(
            classify(&signals(Some(31), Some(true))).0,
            DeviceType::Laptop
        );
        assert_eq!(
            classify(&signals(Some(30), Some(true))).0,
            DeviceType::Tablet
        );
        assert_eq!(
            classify(&signals(Some(32), Some(true))).0,
            DeviceType::Tablet
        );
        assert_eq!(
            classify(&signals(Some(11), Some(true))).0,
            DeviceType::Mobile
        );
        let (_, reason) = classify(&signals(Some(9), None));
        assert_eq!(reason, "chassis type 9 (Laptop)");
    }

    #[test]
    fn battery_decides_when_the_chassis_says_nothing() {
        // QEMU and most hypervisors report 1 (Other); some firmware 2 (Unknown).
        let (kind, reason) = classify(&signals(Some(1), Some(true)));
        assert_eq!(kind, DeviceType::Laptop);
        assert!(reason.contains("battery is present"), "{reason}");
        assert_eq!(
            classify(&signals(Some(2), Some(false))).0,
            DeviceType::Desktop
        );
        assert_eq!(classify(&signals(None, Some(true))).0, DeviceType::Laptop);
        let (kind, reason) = classify(&signals(None, Some(false)));
        assert_eq!(kind, DeviceType::Desktop);
        assert_eq!(
            reason,
            "no chassis type from the firmware; no system battery"
        );
    }

    #[test]
    fn no_evidence_is_said_plainly() {
        let (kind, reason) = classify(&signals(None, None));
        assert_eq!(kind, DeviceType::Desktop);
        assert!(reason.contains("unknown"), "{reason}");
    }

    fn fixture(
        chassis: Option<&str>,
        supplies: &[(&str, &str, Option<&str>)],
    ) -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap();
        if let Some(chassis) = chassis {
            let dmi = root.path().join("sys/class/dmi/id");
            fs::create_dir_all(&dmi).unwrap();
            fs::write(dmi.join("chassis_type"), chassis).unwrap();
        }
        let ps = root.path().join("sys/class/power_supply");
        fs::create_dir_all(&ps).unwrap();
        for (name, kind, scope) in supplies {
            let dir = ps.join(name);
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("type"), format!("{kind}\n")).unwrap();
            if let Some(scope) = scope {
                fs::write(dir.join("scope"), format!("{scope}\n")).unwrap();
            }
        }
        root
    }

    #[test]
    fn linux_laptop_fixture() {
        let root = fixture(
            Some("10\n"),
            &[("AC", "Mains", None), ("BAT0", "Battery", None)],
        );
        let s = read_linux_signals(root.path());
        assert_eq!(s, signals(Some(10), Some(true)));
        assert_eq!(classify(&s).0, DeviceType::Laptop);
    }

    #[test]
    fn linux_desktop_with_a_wireless_mouse_is_a_desktop() {
        let root = fixture(
            Some("1\n"),
            &[
                ("hidpp_battery_0", "Battery", Some("Device")),
                ("ucsi-source-psy", "USB", None),
            ],
        );
        let s = read_linux_signals(root.path());
        assert_eq!(s, signals(Some(1), Some(false)));
        assert_eq!(classify(&s).0, DeviceType::Desktop);
    }

    #[test]
    fn linux_without_dmi_or_power_supply_class() {
        let root = tempfile::tempdir().unwrap();
        let s = read_linux_signals(root.path());
        assert_eq!(s, signals(None, None));
        // Garbage in the chassis file is no chassis type.
        let root = fixture(Some("laptop"), &[]);
        assert_eq!(read_linux_signals(root.path()), signals(None, Some(false)));
    }

    #[test]
    fn mac_models() {
        assert_eq!(mac_model_chassis("MacBookPro18,3"), Some(10));
        assert_eq!(mac_model_chassis("MacBookAir10,1\n"), Some(10));
        assert_eq!(mac_model_chassis("iMac21,1"), Some(13));
        assert_eq!(mac_model_chassis("Macmini9,1"), Some(35));
        // Modern identifiers name no form factor: the battery decides.
        assert_eq!(mac_model_chassis("Mac14,2"), None);
        assert_eq!(mac_model_chassis(""), None);
    }

    #[test]
    fn detect_reads_this_machine() {
        let facts = detect().expect("sysinfo works on the test machine");
        assert!(facts.cpu_cores >= 1);
        assert!(facts.memory_bytes > 0);
        assert!(!facts.arch.is_empty());
        assert!(!facts.device_type_reason.is_empty());
        assert!(facts.webgpu.is_none());
    }
}
