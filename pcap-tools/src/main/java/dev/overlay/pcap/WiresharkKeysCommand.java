package dev.overlay.pcap;

import dev.overlay.cli.UserException;
import dev.overlay.config.OverlayConfig;
import dev.overlay.config.Purpose;
import dev.overlay.datapath.ExternalSa;
import dev.overlay.config.SaConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code overlay pcap wireshark-keys}: the config's SAs as Wireshark {@code esp_sa} records
 * ({@link WiresharkEspSa}), so Wireshark and tshark decrypt the tools' captures. This is the one
 * command that prints keys; {@code check} and every log show only their lengths. With
 * {@code --sa-file} it also turns an {@code ip xfrm state} dump into the same records.
 */
@Command(name = "wireshark-keys", mixinStandardHelpOptions = true,
        description = {"Print the SAs of the config, then of --sa-file, as Wireshark esp_sa records (one per SA, "
                + "in order), so Wireshark decrypts the captures of pcap encode and of the gateway.",
                "THE OUTPUT HOLDS THE SA KEYS: this is the one command that prints them. With --out the file "
                        + "is written with mode 0600.",
                "SAs whose algorithm Wireshark 4.0 cannot decrypt (AES-CCM, ChaCha20-Poly1305, AES-GMAC) "
                        + "are written as comment lines.",
                "Use: tshark -o esp.enable_encryption_decode:TRUE -o 'uat:esp_sa:<one line>' -r CAPTURE, "
                        + "or copy the file to ~/.config/wireshark/esp_sa."})
final class WiresharkKeysCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "The gateway config (YAML); inbound SAs alone will do. Optional with --sa-file.")
    Path config;

    @Mixin
    KeySources keySources;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the records to FILE (mode 0600) instead of standard output.")
    Path out;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        KeySources.Keys keys = keySources.load(config, Purpose.WIRESHARK_KEYS, err);
        OverlayConfig loaded = keys.topology().config();
        InetAddress gateway = loaded.gateway().address();
        StringBuilder text = new StringBuilder();
        text.append("# Wireshark ESP SAs of ").append(config == null ? String.join(", ",
                        keySources.saFiles.stream().map(Path::toString).toList())
                        : loaded.gateway().name() + " (" + config + ")")
                .append(": protocol, source, destination, SPI, encryption, key, authentication, key.\n")
                .append("# HOLDS KEYS. Written by 'overlay pcap wireshark-keys'.\n");
        int records = 0;
        int comments = 0;
        for (SaConfig sa : loaded.securityAssociations()) {
            InetAddress peer = loaded.peers().get(sa.peer()).address();
            text.append(WiresharkEspSa.line(sa, gateway, peer)).append('\n');
            if (WiresharkEspSa.supported(sa)) {
                records++;
            } else {
                comments++;
            }
        }
        for (ExternalSa sa : keys.external()) {
            String lines = WiresharkEspSa.line(sa);
            text.append(lines).append('\n');
            if (WiresharkEspSa.supported(sa.sa())) {
                // Both families when the file gives no address: one record matches one family.
                records += (int) lines.lines().filter(l -> l.startsWith("\"")).count();
            } else {
                comments++;
            }
        }
        if (out == null) {
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.print(text);
            stdout.flush();
        } else {
            write(out, text.toString());
            err.println("overlay: wrote the keys of " + records + " SAs to " + out + " (mode 0600). Use it with: "
                    + "mkdir -p ~/.config/wireshark && cp " + out + " ~/.config/wireshark/esp_sa, then "
                    + "tshark -o esp.enable_encryption_decode:TRUE -r CAPTURE (or in Wireshark: Preferences, "
                    + "Protocols, ESP, \"Attempt to detect/decode encrypted ESP payloads\").");
        }
        err.println("SAs " + (loaded.securityAssociations().size() + keys.external().size()) + ", esp_sa records " + records + ", without a Wireshark 4.0 "
                + "decryptor " + comments);
        // CONTRACT.md: every pcap command ends with the summary line; this one reads no packets.
        err.println(new Summary().line());
        err.flush();
        return 0;
    }

    /**
     * Writes {@code text} so that the keys are never readable by others, not even for a moment:
     * a new file created 0600 in the target's directory, then renamed over the target.
     */
    private static void write(Path target, String text) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            try {
                tmp = Files.createTempFile(dir, ".esp_sa", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                tmp = Files.createTempFile(dir, ".esp_sa", ".tmp"); // not a POSIX file system
            }
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The write failed already; that is what the user needs to hear.
                }
            }
            String why = e instanceof java.nio.file.NoSuchFileException ? "no such directory " + dir
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage();
            throw new UserException(UserException.UNREADABLE_INPUT, "cannot write " + target + ": " + why, e);
        }
    }
}
