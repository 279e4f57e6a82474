/**
 * The config file: loading ({@link dev.overlay.config.ConfigLoader}), validation that reports
 * every problem at once with its file, key path and line ({@link dev.overlay.config.ConfigError}),
 * the immutable records the datapath, gateway and pcap tools read
 * ({@link dev.overlay.config.OverlayConfig} and its parts), and the resolved view of
 * {@code check} ({@link dev.overlay.config.CheckReport}) with each tenant's effective MTU
 * ({@link dev.overlay.config.TenantMtu}). YAML is read through snakeyaml-engine's compose step
 * only, so no tag can construct objects. Numbers are decimal or 0x-hex; keys and Geneve option
 * data are hex strings with an optional 0x prefix; key files hold the same hex (whitespace
 * ignored) and are refused if group or others can access them; relative key-file paths resolve
 * against the config's directory. Ranges: VNI 1..16777215 (RFC 7348 section 5, RFC 8926
 * section 3.4; 0 refused), VLAN 1..4094 (IEEE 802.1Q), SPI 1..0xffffffff (RFC 4303
 * section 2.1: 0 refused, 1..255 warned about), replay-window 0..65536 packets (RFC 4303 section 3.4.3), Geneve options per
 * RFC 8926 section 3.5, HMAC keys per RFC 4868, salts per RFC 4106, 4309, 4543 and 7634. A
 * file is validated for one use ({@link dev.overlay.config.Purpose}): what only sending needs
 * (an out SA per ESP tenant and peer) gates {@code run} and {@code encode} alone
 * ({@link dev.overlay.config.ConfigGap}), so the offline readers take a file of inbound SAs.
 */
package dev.overlay.config;
