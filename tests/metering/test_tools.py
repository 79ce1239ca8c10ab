import json

import numpy as np
from typer.testing import CliRunner

from smartpdu.cli.meter_cmd import meter_app
from smartpdu.hardware.samples import SampleBlock
from smartpdu.metering import (
    Aggregator,
    DemandMeter,
    check_hierarchy,
    ghost_power,
    measure_block,
)


def write_capture(path, header=True):
    fs, f = 6400, 50.0
    t = np.arange(1280) / fs
    v = 325 * np.sin(2 * np.pi * f * t)
    i = 14.142 * np.sin(2 * np.pi * f * t - np.pi / 3)
    lines = [f"# sample_rate_hz={fs}"] + (["index,voltage,outlet1"] if header else [])
    lines += [f"{k},{a},{b}" for k, a, b in zip(range(t.size), v, i, strict=True)]
    path.write_text("\n".join(lines))


def test_cli_json_and_table(tmp_path):
    p = tmp_path / "cap.csv"
    write_capture(p)
    r = CliRunner().invoke(meter_app, ["analyze", str(p), "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert abs(d["p_w"][0] - 325 * 14.142 / 2 * 0.5) < 1.0 and d["channels"] == ["outlet1"]
    r2 = CliRunner().invoke(meter_app, ["analyze", str(p)])
    assert r2.exit_code == 0 and "THD-I" in r2.stdout


def test_cli_malformed_names_line(tmp_path):
    p = tmp_path / "bad.csv"
    write_capture(p)
    lines = p.read_text().splitlines()
    lines[10] = "9,abc,1"
    p.write_text("\n".join(lines))
    r = CliRunner().invoke(meter_app, ["analyze", str(p)])
    assert r.exit_code == 2 and "line 11" in r.output


def test_measure_block_computes_neutral():
    fs, n = 6400.0, 1280
    t = np.arange(n) / fs
    v = np.stack([325 * np.cos(2 * np.pi * 50 * t - k * 2 * np.pi / 3) for k in range(3)])
    i = np.stack([10 * np.cos(2 * np.pi * 50 * t - k * 2 * np.pi / 3) for k in range(3)])
    i = np.vstack([i, i[0:1] * 0.5])
    i[0] += 3 * np.cos(3 * 2 * np.pi * 50 * t)  # unbalanced triplen → neutral current
    block = SampleBlock("pdu1", 0.0, fs, 50.0, v, i,
                        ("inlet/L1", "inlet/L2", "inlet/L3", "outlet/1"), np.array([0, 1, 2, 0]),
                        np.array([1.2]), ("inlet",))  # fmt: skip
    bm = measure_block(block)
    assert bm.neutral_computed and bm.channels[-1] == "inlet/N"
    assert abs(bm.metrics.i_rms_a[bm.index("inlet/N")] - 3 / np.sqrt(2)) < 1e-3
    assert bm.residual_ma == {"inlet": 1.2}


def test_aggregation_and_demand():
    agg = Aggregator()
    out = []
    for k in range(400):  # 80 s of 200 ms windows
        out += agg.add(k * 0.2, 0.2, {"p_w": np.array([float(k % 15)]), "i_rms_a": [2.0]})
    three = [r for r in out if r.level == "3s"]
    assert len(three) == 26 and three[0].minimum["p_w"][0] == 0 and three[0].maximum["p_w"][0] == 14
    assert abs(three[0].average["p_w"][0] - 7.0) < 1e-12
    minute = [r for r in out if r.level == "1min"]
    assert len(minute) == 1 and minute[0].windows == 300 and minute[0].average["i_rms_a"][0] == 2.0
    dm = DemandMeter(1, window_s=900.0)
    for k in range(9000):
        r = dm.add(k * 0.2, 0.2, [100.0 if k < 4500 else 200.0])
    assert abs(r.demand[0] - 200.0) < 1e-9 and abs(r.max_demand[0] - 200.0) < 1e-9


def test_consistency_and_ghost_power():
    f = check_hierarchy({"A": 1000.0, "B": 500.0}, {"1": 600.0, "2": 400.0, "3": 300.0},
                        {"1": "A", "2": "A", "3": "B"})  # fmt: skip
    assert [x.source for x in f] == ["B"]
    g = ghost_power({"1": 10.0, "2": 0.5, "3": 50.0}, {"1": False, "2": False, "3": True})
    assert [x.source for x in g] == ["outlet/1"]
