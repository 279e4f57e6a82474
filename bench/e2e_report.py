#!/usr/bin/env python3
"""The figures of bin/bench-e2e: iperf3's JSON reports in, one results document out.

    e2e_report.py collect DIR        read DIR/meta.tsv and DIR/raw/*, write DIR/results.json
    e2e_report.py markdown RESULTS   the generated section of BENCHMARKS.md, on stdout
    e2e_report.py chart-data RESULTS the chart's rows (tab-separated), on stdout
    e2e_report.py profile JFR_JSON   the hottest frames of a `jfr print --json` recording

Raw files are named MODE__TEST__RUN.json (iperf3 -J), with MODE__TEST__RUN.cpu beside them
(/proc/stat's cpu line before and after) and, for the gateways, MODE__TEST__RUN.threads-SIDE
(tid, name and CPU ticks of every thread, before then after). Standard library only.
"""
import collections
import json
import math
import os
import re
import statistics
import sys

MODES = ("kernel", "overlay", "pcap")
MODE_TITLES = {"kernel": "kernel vxlan, cleartext", "overlay": "overlay, TAP ports, ESP %s",
               "pcap": "overlay, pcap ports, ESP %s"}


def mode_title(meta, mode):
    """A column's title; the overlay modes name the SAs' algorithm (bin/bench-e2e --algorithm)."""
    title = MODE_TITLES[mode]
    if "%s" in title:
        algorithm = meta.get("algorithm", "aes-gcm-256")
        title %= "NULL (no cipher, no integrity)" if algorithm == "null" else algorithm.upper()
    return title
# TCP 1 stream against the kernel (issue 11): the TAP ports' target, the paper's ESP-with-GSO/GRO
# ratio; the pcap ports' target.
TARGET = 0.45
PAPER = 0.45
TARGET_PCAP = 0.25


def read_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "\t" in line:
                k, v = line.split("\t", 1)
                meta[k] = v
    return meta


def figures(report):
    """One iperf3 -J report reduced to the receiver's view: Mbit/s, packets/s, loss, retransmits."""
    if "error" in report and "end" not in report:
        return {"error": report["error"]}
    end = report.get("end", {})
    udp = report.get("start", {}).get("test_start", {}).get("protocol") == "UDP"
    received = end.get("sum_received") or end.get("sum") or {}
    seconds = received.get("seconds") or 0
    out = {"mbps": received.get("bits_per_second", 0) / 1e6, "seconds": seconds}
    if udp:
        # Packets from bytes: iperf3 3.12's lost_packets counts more than went missing when the
        # receiver falls far behind (packets - lost disagrees with the bytes it got).
        size = report.get("start", {}).get("test_start", {}).get("blksize") or 1
        sent = (end.get("sum_sent") or {}).get("bytes", 0)
        got = received.get("bytes", 0)
        out["pps"] = got / size / seconds if seconds else 0
        # Clamped: the receiver can count a few datagrams of the omitted first second.
        out["loss_percent"] = max(0.0, 100.0 * (1 - got / sent)) if sent else 0
        out["sent_mbps"] = (end.get("sum_sent") or {}).get("bits_per_second", 0) / 1e6
    else:
        out["retransmits"] = (end.get("sum_sent") or {}).get("retransmits", 0)
    if "error" in report:
        out["error"] = report["error"]
    return out


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values), "n": len(values)}


def cpu_busy(path):
    """Share of all CPUs busy between the two /proc/stat lines, and the softirq share."""
    try:
        with open(path) as f:
            rows = [list(map(int, line.split()[1:])) for line in f if line.startswith("cpu ")]
    except OSError:
        return None
    if len(rows) < 2:
        return None
    delta = [b - a for a, b in zip(rows[0], rows[1])]
    total = sum(delta[:8])
    if total <= 0:
        return None
    idle = delta[3] + delta[4]
    return {"busy": 1 - idle / total, "softirq": delta[6] / total, "system": delta[2] / total,
            "user": (delta[0] + delta[1]) / total}


def java_names(path):
    """Native thread id -> Java thread name, from `jcmd PID Thread.print`."""
    names = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'"(.*)" .*\bnid=(0x[0-9a-fA-F]+|\d+)', line)
                if m:
                    names[str(int(m.group(2), 0))] = m.group(1)
    except OSError:
        pass
    return names


def threads(path, seconds, hz, names):
    """CPU share of one core per thread (Java names where jcmd gave them, else /proc's 15 characters)."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    before, _, after = text.partition("--\n")
    def parse(block):
        rows = {}
        for line in block.splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                rows[parts[0]] = (names.get(parts[0], parts[1]), int(parts[2]))
        return rows
    b, a = parse(before), parse(after)
    shares = collections.Counter()
    for tid, (name, ticks) in a.items():
        start = b.get(tid, (name, 0))[1]
        shares[name] += (ticks - start) / hz / seconds if seconds else 0
    return [{"thread": n, "cores": round(v, 3)} for n, v in shares.most_common() if v >= 0.01]


def ping(path):
    """ping -q's summary: packets sent and received, and rtt min/avg/max/mdev in ms."""
    with open(path) as f:
        text = f.read()
    sent = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    rtt = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", text)
    if not sent or not rtt:
        return None
    return {"sent": int(sent.group(1)), "received": int(sent.group(2)),
            "min_ms": float(rtt.group(1)), "avg_ms": float(rtt.group(2)),
            "max_ms": float(rtt.group(3)), "mdev_ms": float(rtt.group(4))}


def collect(directory):
    meta = read_meta(os.path.join(directory, "meta.tsv"))
    raw = os.path.join(directory, "raw")
    hz = int(meta.get("clock_ticks", "100"))
    runs = collections.defaultdict(list)
    extra = collections.defaultdict(dict)
    for name in sorted(os.listdir(raw)):
        m = re.fullmatch(r"(\w+)__([\w-]+)__(\d+)\.json", name)
        if not m:
            continue
        mode, test, run = m.group(1), m.group(2), int(m.group(3))
        try:
            with open(os.path.join(raw, name)) as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            report = {"error": "unreadable iperf3 report: %s" % e}
        fig = figures(report)
        fig["run"] = run
        stem = os.path.join(raw, name[:-5])
        cpu = cpu_busy(stem + ".cpu")
        if cpu:
            fig["cpu"] = cpu
        for side in ("gwA", "gwB"):
            t = threads(stem + ".threads-" + side, fig.get("seconds") or float(meta.get("seconds", 1)), hz,
                        java_names(os.path.join(directory, "threads-%s-%s.txt" % (mode, side))))
            if t:
                extra[(mode, test)]["threads-" + side] = t
                # The gateway's CPU per unit of throughput: steadier than the throughput on a
                # shared VM, where a run's figure moves by a third with the neighbours' load.
                if "error" not in fig and fig.get("mbps"):
                    fig["cores_per_gbps-" + side] = sum(x["cores"] for x in t) / (fig["mbps"] / 1000.0)
        runs[(mode, test)].append(fig)
    results = {"meta": meta, "modes": {}, "ping": {}}
    for name in sorted(os.listdir(raw)):
        m = re.fullmatch(r"(\w+)__ping\.txt", name)
        if m:
            p = ping(os.path.join(raw, name))
            if p:
                results["ping"][m.group(1)] = p
    for (mode, test), figs in sorted(runs.items()):
        ok = [f for f in figs if "error" not in f]
        entry = {"runs": figs, "failed": len(figs) - len(ok),
                 "mbps": spread([f["mbps"] for f in ok])}
        if any("pps" in f for f in ok):
            entry["pps"] = spread([f["pps"] for f in ok])
            entry["loss_percent"] = spread([f["loss_percent"] for f in ok])
            entry["sent_mbps"] = spread([f["sent_mbps"] for f in ok])
        if any("retransmits" in f for f in ok):
            entry["retransmits"] = spread([f["retransmits"] for f in ok])
        cpus = [f["cpu"] for f in ok if "cpu" in f]
        if cpus:
            entry["cpu_busy"] = spread([c["busy"] for c in cpus])
            entry["cpu_softirq"] = spread([c["softirq"] for c in cpus])
        for side in ("gwA", "gwB"):
            per = [f["cores_per_gbps-" + side] for f in ok if "cores_per_gbps-" + side in f]
            if per:
                entry["cores_per_gbps-" + side] = spread(per)
        entry.update(extra.get((mode, test), {}))
        results["modes"].setdefault(mode, {})[test] = entry
    k = results["modes"].get("kernel", {}).get("tcp1", {}).get("mbps")
    k1500 = results["modes"].get("kernel", {}).get("tcp1-mtu1500", {}).get("mbps")
    for mode, suffix, target in (("overlay", "", TARGET), ("pcap", "_pcap", TARGET_PCAP)):
        o1500 = results["modes"].get(mode, {}).get("tcp1-mtu1500", {}).get("mbps")
        if k1500 and o1500 and k1500["mean"] > 0:
            results["ratio_tcp1_mtu1500" + suffix] = o1500["mean"] / k1500["mean"]
        o = results["modes"].get(mode, {}).get("tcp1", {}).get("mbps")
        if k and o and k["mean"] > 0:
            results["ratio_tcp1" + suffix] = o["mean"] / k["mean"]
            # First-order spread of a quotient from the two relative spreads.
            rel = math.hypot(k["sd"] / k["mean"], o["sd"] / o["mean"] if o["mean"] else 0)
            results["ratio_tcp1%s_sd" % suffix] = results["ratio_tcp1" + suffix] * rel
            if meta.get("algorithm", "aes-gcm-256") == "aes-gcm-256":
                results["target" + suffix] = target
    if "ratio_tcp1" in results:
        results["paper"] = PAPER
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
        f.write("\n")


def fmt(x, digits=None):
    if x is None:
        return "n/a"
    if digits is not None:
        return "%.*f" % (digits, x)
    if abs(x) >= 100:
        return "{:,.0f}".format(x)
    if abs(x) >= 10:
        return "%.1f" % x
    return "%.2f" % x


def pm(s, scale=1.0, digits=None):
    if not s:
        return "n/a"
    return "%s ± %s" % (fmt(s["mean"] * scale, digits), fmt(s["sd"] * scale, digits))


def udp_tests(modes):
    sizes = set()
    for tests in modes.values():
        for t in tests:
            if t.startswith("udp-"):
                sizes.add(int(t[4:]))
    return ["udp-%d" % s for s in sorted(sizes)]


def cell(entry, ratio_to=None):
    if not entry or not entry.get("mbps"):
        return "failed" if entry else "not run"
    text = pm(entry["mbps"])
    if "pps" in entry:
        text += " (%s kpps, loss %s%%)" % (pm(entry["pps"], 1e-3), fmt(entry["loss_percent"]["mean"], 1))
    if "retransmits" in entry:
        text += " (retr. %s)" % fmt(entry["retransmits"]["mean"], 0)
    if entry.get("failed"):
        text += " [%d run(s) failed]" % entry["failed"]
    return text


def markdown(path):
    with open(path) as f:
        r = json.load(f)
    meta, modes = r["meta"], r["modes"]
    k = modes.get("kernel", {})
    shown = [m for m in MODES[1:] if m in modes] or ["overlay"]
    lines = []
    lines.append("### Latest end-to-end run")
    lines.append("")
    lines.append("Generated by `%s` on %s; every edit between the markers is overwritten."
                 % (meta.get("command", "bin/bench --e2e"), meta.get("date", "?")))
    lines.append("")
    lines.append("- machine: %s cores, %s, Linux %s; JDK %s; iperf3 %s; gateway at commit %s"
                 % (meta.get("nproc"), meta.get("cpu"), meta.get("kernel"), meta.get("jdk"),
                    meta.get("iperf3"), meta.get("commit")))
    for mode in MODES:
        if mode in modes:
            lines.append("- load average (1, 5, 15 min) %s: before %s, after %s"
                         % (mode, meta.get("load_before_" + mode, "?"), meta.get("load_after_" + mode, "?")))
    if "tcp_congestion" in meta:
        lines.append("- tenants' TCP congestion control: %s" % meta["tcp_congestion"])
    if "workers" in meta:
        lines.append("- gateways: %s workers each, %s SAs each way, pin-workers %s"
                     % (meta["workers"], meta["workers"], meta.get("pin_workers", "false")))
    lines.append("- %s runs of %s s each per figure (iperf3 -t %s -O 1: the first second is left out), "
                 "interleaved; mean ± sample standard deviation over the runs; Mbit/s received"
                 % (meta.get("runs"), meta.get("seconds"), meta.get("seconds")))
    mtus = ["kernel vxlan %s (1500 - 50)" % meta.get("mtu_kernel", "?")]
    for mode in shown:
        mtus.append("%s %s (`check`: %s)" % ({"overlay": "overlay", "pcap": "pcap ports"}[mode],
                                               meta.get("mtu_" + mode, "?"), meta.get("mtu_%s_breakdown" % mode, "?")))
    lines.append("- tenant MTU: " + ", ".join(mtus) + "; every veth at its default offloads")
    if any("tcp1-mtu1500" in modes.get(m, {}) for m in MODES):
        learned = ", ".join("%s %s" % ({"kernel": "kernel vxlan", "overlay": "TAP", "pcap": "pcap"}[m],
                                       meta.get("pmtu_1500_" + m, "?")) for m in MODES if "tcp1-mtu1500" in modes.get(m, {}))
        lines.append("- *tenants at MTU 1500*: both tenants' veths (and the TAP, and the kernel's vx0) left at "
                     "1500, as users run them; each tenant learns the tunnel's MTU from ICMP (the kernel's bridged "
                     "vxlan, or the gateways' path-MTU stage). Path MTU tA had learned towards tB after the warm-up: "
                     + learned)
    lines.append("")
    header = "| test | %s |" % mode_title(meta, "kernel")
    rule = "|---|---|"
    for mode in shown:
        header += " %s | %s / kernel |" % (mode_title(meta, mode), {"overlay": "TAP", "pcap": "pcap"}[mode])
        rule += "---|---|"
    lines.append(header)
    lines.append(rule)
    rows = [("tcp1", "TCP, 1 stream"), ("tcp4", "TCP, 4 streams (-P 4)")]
    rows += [(t, "UDP, %s-byte datagrams (-b 0)" % t[4:]) for t in udp_tests(modes)]
    rows += [("tcp1-mtu1500", "TCP, 1 stream, tenants at MTU 1500")]
    for test, title in rows:
        if not any(modes.get(m, {}).get(test) for m in MODES):
            continue
        ke = k.get(test)
        line = "| %s | %s |" % (title, cell(ke))
        for mode in shown:
            oe = modes.get(mode, {}).get(test)
            ratio = "n/a"
            if ke and oe and ke.get("mbps") and oe.get("mbps") and ke["mbps"]["mean"] > 0:
                value = oe["mbps"]["mean"] / ke["mbps"]["mean"]
                ratio = "%.3f" % value
                suffix = "" if mode == "overlay" else "_pcap"
                if test == "tcp1" and "target" + suffix in r:
                    target = TARGET if mode == "overlay" else TARGET_PCAP
                    ratio = "**%s** ± %.3f (target %.2f: %s%s)" % (
                        ratio, r.get("ratio_tcp1%s_sd" % suffix, 0), target, "met" if value >= target else "not met",
                        ", the paper's ratio" if mode == "overlay" else "")
                elif test == "tcp1":
                    # Issue 11's targets are for AES-GCM-256; another algorithm's ratio is shown bare.
                    ratio = "**%s** ± %.3f" % (ratio, r.get("ratio_tcp1%s_sd" % suffix, 0))
            line += " %s | %s |" % (cell(oe), ratio)
        lines.append(line)
    lines.append("")
    for mode in MODES:
        e = modes.get(mode, {}).get("tcp1", {})
        if e.get("cpu_busy"):
            lines.append("- CPU during TCP 1 stream, %s: %s%% of both cores busy, %s%% in softirq"
                         % (mode, pm(e["cpu_busy"], 100, 0), pm(e["cpu_softirq"], 100, 0)))
    for mode in MODES:
        p = r.get("ping", {}).get(mode)
        if p:
            lines.append("- round trip tA to tB, %s (ping, %d at 100 a second, idle path): min %.3f, avg %.3f, "
                         "max %.3f, mdev %.3f ms, %d of %d answered"
                         % (mode, p["sent"], p["min_ms"], p["avg_ms"], p["max_ms"], p["mdev_ms"], p["received"],
                            p["sent"]))
    for mode in shown:
        for side, name in (("gwA", "sending gateway gw-a"), ("gwB", "receiving gateway gw-b")):
            t = modes.get(mode, {}).get("tcp1", {}).get("threads-" + side)
            if t:
                lines.append("- %s, %s threads during TCP 1 stream (cores): %s" % (
                    mode, name, ", ".join("`%s` %.2f" % (x["thread"], x["cores"]) for x in t[:6])))
    for mode in shown:
        e = modes.get(mode, {}).get("tcp1", {})
        if e.get("cores_per_gbps-gwA") and e.get("cores_per_gbps-gwB"):
            lines.append("- %s, CPU per Gbit/s during TCP 1 stream (every thread of the gateway over the run's "
                         "throughput): sending gateway %s cores, receiving gateway %s"
                         % (mode, pm(e["cores_per_gbps-gwA"], 1, 3), pm(e["cores_per_gbps-gwB"], 1, 3)))
    lines.append("")
    lines.append("![UDP throughput against datagram size, and TCP, overlay beside the kernel](%s)"
                 % meta.get("chart", "bench/e2e-throughput.png"))
    return "\n".join(lines)


def chart_data(path):
    with open(path) as f:
        r = json.load(f)
    modes = r["modes"]
    out = ["# group\tlabel\tmode\tmbps\tsd\tkpps"]
    for test in ["tcp1", "tcp4"] + udp_tests(modes):
        group = "tcp" if test.startswith("tcp") else "udp"
        label = {"tcp1": "1 stream", "tcp4": "4 streams"}.get(test, test[4:] + " B")
        for mode in MODES:
            e = modes.get(mode, {}).get(test)
            if not e or not e.get("mbps"):
                continue
            kpps = e["pps"]["mean"] / 1e3 if e.get("pps") else -1
            out.append("%s\t%s\t%s\t%.3f\t%.3f\t%.3f" % (group, label, mode, e["mbps"]["mean"], e["mbps"]["sd"], kpps))
    ratios = []
    for key, label in (("ratio_tcp1", "TAP"), ("ratio_tcp1_pcap", "pcap")):
        if r.get(key) is not None:
            ratios.append("%s %.3f" % (label, r[key]))
    out.append("# ratio\t%s" % (", ".join(ratios) or "n/a"))
    out.append("# subtitle\t%s cores %s, Linux %s, JDK %s, %s" % (
        r["meta"].get("nproc"), r["meta"].get("cpu"), r["meta"].get("kernel"), r["meta"].get("jdk"), r["meta"].get("date")))
    return "\n".join(out)


def profile(path, top=25):
    """Self and inclusive counts of jdk.ExecutionSample frames, per thread name and overall."""
    with open(path) as f:
        doc = json.load(f)
    events = doc.get("recording", {}).get("events", [])
    self_counts, incl, by_thread = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for ev in events:
        kind = {"jdk.ExecutionSample": "", "jdk.NativeMethodSample": "[native] "}.get(ev.get("type"))
        if kind is None:
            continue
        values = ev.get("values", {})
        frames = (values.get("stackTrace") or {}).get("frames") or []
        thread = ((values.get("sampledThread") or {}).get("javaName")) or "?"
        total += 1
        by_thread[kind + re.sub(r"\d+$", "N", thread)] += 1
        names = []
        for fr in frames:
            m = fr.get("method", {})
            t = (m.get("type") or {}).get("name", "?")
            names.append("%s.%s" % (t.split("/")[-1].replace("$", "."), m.get("name")))
        if names:
            self_counts[kind + names[0]] += 1
        for n in set(names):
            incl[n] += 1
    lines = ["%d samples (jdk.ExecutionSample: running Java; jdk.NativeMethodSample, marked [native]:"
             " in a native call such as read, write, poll or park)" % total, "", "by thread:"]
    lines += ["  %5.1f%%  %s" % (100 * c / total, n) for n, c in by_thread.most_common(10)]
    lines += ["", "self (top frame):"]
    lines += ["  %5.1f%%  %s" % (100 * c / total, n) for n, c in self_counts.most_common(top)]
    lines += ["", "inclusive:"]
    lines += ["  %5.1f%%  %s" % (100 * c / total, n) for n, c in incl.most_common(top * 2)]
    return "\n".join(lines) if total else "no execution samples"


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    command, arg = argv[1], argv[2]
    if command == "collect":
        collect(arg)
    elif command == "markdown":
        print(markdown(arg))
    elif command == "chart-data":
        print(chart_data(arg))
    elif command == "profile":
        print(profile(arg))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
