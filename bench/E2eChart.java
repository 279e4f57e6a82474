import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * The chart of bin/bench-e2e, drawn with java.awt so it needs nothing beyond the JDK 25 the
 * project already requires: run as a source file,
 * {@code java -Djava.awt.headless=true bench/E2eChart.java chart.tsv out.png}.
 *
 * <p>Left: UDP received Mbit/s against datagram size; right: TCP with 1 and 4 streams. The kernel's
 * cleartext vxlan beside the overlay in each group, on a log scale (the two differ by more than
 * an order of magnitude, and a linear axis would flatten the overlay's bars to nothing), each bar
 * labelled with its value and, for UDP, its packets per second; whiskers are one standard
 * deviation over the runs. Input rows: group, label, mode, mbps, sd, kpps (tab-separated, from
 * {@code e2e_report.py chart-data}).
 */
public final class E2eChart {
    private static final int WIDTH = 1400;
    private static final int HEIGHT = 720;
    private static final Color KERNEL = new Color(0x4C72B0);
    private static final Color OVERLAY = new Color(0xDD8452);
    private static final Color PCAP = new Color(0x55A868);
    private static final Color GRID = new Color(0xDDDDDD);

    record Bar(String mode, double mbps, double sd, double kpps) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java E2eChart.java CHART.tsv OUT.png");
            System.exit(2);
        }
        Map<String, Map<String, List<Bar>>> groups = new LinkedHashMap<>();
        String ratio = "n/a";
        String subtitle = "";
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] f = line.split("\t");
            if (line.startsWith("# ratio")) {
                ratio = f[1];
            } else if (line.startsWith("# subtitle")) {
                subtitle = f[1];
            } else if (!line.startsWith("#") && f.length == 6) {
                groups.computeIfAbsent(f[0], k -> new LinkedHashMap<>())
                        .computeIfAbsent(f[1], k -> new ArrayList<>())
                        .add(new Bar(f[2], Double.parseDouble(f[3]), Double.parseDouble(f[4]), Double.parseDouble(f[5])));
            }
        }
        double max = 1;
        double min = Double.MAX_VALUE;
        for (Map<String, List<Bar>> g : groups.values()) {
            for (List<Bar> bars : g.values()) {
                for (Bar b : bars) {
                    max = Math.max(max, b.mbps + b.sd);
                    if (b.mbps > 0) {
                        min = Math.min(min, b.mbps);
                    }
                }
            }
        }
        double lo = Math.pow(10, Math.floor(Math.log10(Math.min(min, max) / 2)));
        double hi = Math.pow(10, Math.ceil(Math.log10(max * 1.5)));

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
        g.drawString("End to end through two gateways: iperf3 between tenant namespaces", 60, 36);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 15));
        g.drawString("Mbit/s received (log scale), mean of the runs, whiskers one standard deviation;"
                + " TCP 1 stream against the kernel: " + ratio, 60, 62);
        g.setColor(Color.DARK_GRAY);
        g.drawString(subtitle, 60, 84);
        legend(g, 60, 112);
        int top = 145;
        int bottom = HEIGHT - 80;
        Map<String, List<Bar>> udp = groups.getOrDefault("udp", Map.of());
        Map<String, List<Bar>> tcp = groups.getOrDefault("tcp", Map.of());
        int leftWidth = (int) ((WIDTH - 200) * Math.max(1, udp.size()) / (double) Math.max(1, udp.size() + tcp.size()));
        panel(g, "UDP, by datagram size (-b 0)", udp, 90, 90 + leftWidth - 40, top, bottom, lo, hi);
        panel(g, "TCP", tcp, 90 + leftWidth + 40, WIDTH - 30, top, bottom, lo, hi);
        g.dispose();
        ImageIO.write(image, "png", Path.of(args[1]).toFile());
    }

    private static double y(double v, double lo, double hi, int top, int bottom) {
        double f = (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
        return bottom - f * (bottom - top);
    }

    private static void panel(Graphics2D g, String title, Map<String, List<Bar>> groups, int left, int right,
            int top, int bottom, double lo, double hi) {
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString(title, left, top - 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics fm = g.getFontMetrics();
        for (double t = lo; t <= hi * 1.0001; t *= 10) {
            int ty = (int) y(t, lo, hi, top, bottom);
            g.setColor(GRID);
            g.drawLine(left, ty, right, ty);
            g.setColor(Color.DARK_GRAY);
            String label = t >= 1 ? String.format("%,.0f", t) : String.valueOf(t);
            g.drawString(label, left - 8 - fm.stringWidth(label), ty + 5);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        if (groups.isEmpty()) {
            return;
        }
        double slot = (right - left) / (double) groups.size();
        int modes = groups.values().stream().mapToInt(List::size).max().orElse(1);
        double barWidth = Math.min(70, slot * 0.8 / modes);
        int i = 0;
        for (Map.Entry<String, List<Bar>> e : groups.entrySet()) {
            double centre = left + slot * (i + 0.5);
            List<Bar> bars = e.getValue();
            for (int j = 0; j < bars.size(); j++) {
                Bar b = bars.get(j);
                double x = centre - barWidth * bars.size() / 2.0 + j * barWidth;
                int yTop = (int) y(b.mbps, lo, hi, top, bottom);
                g.setColor(switch (b.mode) {
                    case "kernel" -> KERNEL;
                    case "pcap" -> PCAP;
                    default -> OVERLAY;
                });
                g.fillRect((int) x + 2, yTop, (int) barWidth - 4, bottom - yTop);
                g.setColor(Color.BLACK);
                g.setStroke(new BasicStroke(1.5f));
                int cx = (int) (x + barWidth / 2);
                int y1 = (int) y(b.mbps + b.sd, lo, hi, top, bottom);
                int y0 = (int) y(Math.max(b.mbps - b.sd, lo), lo, hi, top, bottom);
                if (b.sd > 0) {
                    g.drawLine(cx, y1, cx, y0);
                    g.drawLine(cx - 6, y1, cx + 6, y1);
                    g.drawLine(cx - 6, y0, cx + 6, y0);
                }
                g.setStroke(new BasicStroke(1f));
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
                String value = String.format("%,.0f", b.mbps);
                fm = g.getFontMetrics();
                g.drawString(value, cx - fm.stringWidth(value) / 2, Math.min(y1, yTop) - 18);
                if (b.kpps >= 0) {
                    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                    fm = g.getFontMetrics();
                    String pps = String.format("%,.0fk pps", b.kpps);
                    g.drawString(pps, cx - fm.stringWidth(pps) / 2, Math.min(y1, yTop) - 5);
                }
            }
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            fm = g.getFontMetrics();
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), (int) centre - fm.stringWidth(e.getKey()) / 2, bottom + 22);
            i++;
        }
    }

    private static void legend(Graphics2D g, int x, int y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.setColor(KERNEL);
        g.fillRect(x, y - 12, 18, 14);
        g.setColor(Color.BLACK);
        g.drawString("Linux vxlan, cleartext", x + 24, y);
        g.setColor(OVERLAY);
        g.fillRect(x + 200, y - 12, 18, 14);
        g.setColor(Color.BLACK);
        g.drawString("overlay, TAP ports, ESP AES-GCM-256", x + 224, y);
        g.setColor(PCAP);
        g.fillRect(x + 540, y - 12, 18, 14);
        g.setColor(Color.BLACK);
        g.drawString("overlay, pcap ports, ESP AES-GCM-256", x + 564, y);
    }
}
