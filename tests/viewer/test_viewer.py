"""`ammon view` headless: checks the PICTURE, not just that a file exists.

- the rat (its exact marker colour) is drawn at the pixel that the maze-to-screen mapping gives for
  the position the simulation reports, recomputed here independently of the viewer's code, and
  nowhere else;
- in sleep after a few laps on the rate backend, a population burst is detected and the decoded
  position (its exact marker colour) is drawn on the track, while the sleeping rat is not;
- keys (scripted with --keys) change the mode and the clock; frames and errors.
Run by ctest with AMMON=<binary> and AMMON_SOURCE=<source tree>.

Covers, through the binary: src/app/cmd_view.c (options, errors, reset and next experiment),
src/viewer/am_view_app.c (frame loop, keys, clock, screenshots, frames), am_view_draw.c (the
pictures checked here), am_view_live.c (live source), am_view_playback.c (playback against live)
and am_view_png.c (every PNG read back). tests/viewer/test_view_data.c covers the SDL-free
modules (layout, data, decode) directly.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402

AMMON = os.environ["AMMON"]
SRC = os.environ["AMMON_SOURCE"]
CONFIGS = os.path.join(SRC, "data", "configs")
W, H = 1280, 720


def view(args, timeout=600, video_driver=None):
    env = dict(os.environ)
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        env.pop(k, None)
    if video_driver:
        env["SDL_VIDEODRIVER"] = video_driver
        # SDL's video subsystem (only the window path starts it) leaks about 7 kB once per
        # process in libraries it loads and unloads again, which LeakSanitizer cannot name for a
        # suppression (tests/viewer/lsan.supp): leak checking is off for these runs only.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return subprocess.run([AMMON, "view"] + args, capture_output=True, text=True,
                          timeout=timeout, env=env)


def parse_dump(out):
    """{'rat': {...}, 'decoded': {...}, 'frames': n} from --dump-state."""
    d = {}
    for line in out.splitlines():
        if line.startswith("frames="):
            d["frames"] = int(line.split("=")[1])
            continue
        name, _, rest = line.partition(" ")
        if name in ("rat", "decoded"):
            d[name] = dict(kv.split("=", 1) for kv in rest.split())
    return d


def load_png(path):
    img = mpimg.imread(path)
    if img.dtype != np.uint8:
        img = np.rint(img * 255).astype(np.int32)
    return img[:, :, :3].astype(np.int32)


def colour_mask(img, rgb):
    r, g, b = (int(c) for c in rgb.split(","))
    return (img[:, :, 0] == r) & (img[:, :, 1] == g) & (img[:, :, 2] == b)


def maze_panel():
    """The maze panel of am_view_layout for a W x H window (recomputed here)."""
    pad, top = 8, 30
    left_w = (W - 3 * pad) // 2
    avail = H - top - pad
    return pad, top, left_w, avail * 62 // 100


def expected_pixel(x, y, lo, hi):
    """Maze point -> pixel: the maze's bounding box fitted in the panel with a 24 px margin."""
    rx, ry, rw, rh = maze_panel()
    scale = min((rw - 48) / (hi[0] - lo[0]), (rh - 48) / (hi[1] - lo[1]))
    ox = rx + 0.5 * rw - scale * 0.5 * (lo[0] + hi[0])
    oy = ry + 0.5 * rh + scale * 0.5 * (lo[1] + hi[1])
    return ox + scale * x, oy - scale * y


class Rat(unittest.TestCase):
    def check_rat(self, config, sets, frames, lo, hi, speed="2", window=False):
        with tempfile.TemporaryDirectory() as tmp:
            png = os.path.join(tmp, "frame.png")
            mode = ["--fps", "240"] if window else ["--headless"]
            r = view([config, "--frames", str(frames), "--speed", speed, "--screenshot", png,
                      "--dump-state", "--quiet"] + mode + sets,
                     video_driver="offscreen" if window else None)
            self.assertEqual(r.returncode, 0, r.stderr)
            d = parse_dump(r.stdout)
            rat = d["rat"]
            self.assertEqual(d["frames"], frames)
            x, y = float(rat["x"]), float(rat["y"])
            px, py = int(rat["px"]), int(rat["py"])
            ex, ey = expected_pixel(x, y, lo, hi)
            self.assertLessEqual(abs(px - ex), 1.0, (px, ex))
            self.assertLessEqual(abs(py - ey), 1.0, (py, ey))
            img = load_png(png)
            self.assertEqual(img.shape[:2], (H, W))
            mask = colour_mask(img, rat["rgb"])
            ys, xs = np.nonzero(mask)
            rad = int(rat["radius"])
            self.assertGreater(len(xs), 2.5 * rad * rad, "the rat's disc is missing")
            dist = np.hypot(xs - px, ys - py)
            self.assertLessEqual(dist.max(), rad + 1.5,
                                 "the rat's colour appears away from the rat")
            self.assertLessEqual(abs(xs.mean() - px), 1.0)
            self.assertLessEqual(abs(ys.mean() - py), 1.0)
            return x, y

    def test_linear_track(self):
        # 2 m track, 10 cm wide: bounds padded by half the width
        x0, _ = self.check_rat(os.path.join(CONFIGS, "linear_track.ini"), [], 150,
                               (-0.05, -0.05), (2.05, 0.05))
        x1, _ = self.check_rat(os.path.join(CONFIGS, "linear_track.ini"), [], 210,
                               (-0.05, -0.05), (2.05, 0.05))
        self.assertGreater(abs(x1 - x0), 0.2, "the rat should have moved between the frames")

    def test_window_path(self):
        # the windowed code path (SDL window, renderer, SDL_RenderReadPixels) on SDL's offscreen
        # video driver, chosen explicitly: 150 frames at 240 fps and 10x simulate 6.25 s
        x, _ = self.check_rat(os.path.join(CONFIGS, "linear_track.ini"), [], 150,
                              (-0.05, -0.05), (2.05, 0.05), speed="10", window=True)
        self.assertGreater(x, 0.3)

    def test_open_field(self):
        x, y = self.check_rat(os.path.join(CONFIGS, "open_field.ini"),
                              ["--set", "cells.n=300"], 120, (0, 0), (1, 1), speed="4")
        self.assertTrue(0 < x < 1 and 0 < y < 1)


class Replay(unittest.TestCase):
    def replay_frame(self, extra):
        with tempfile.TemporaryDirectory() as tmp:
            png = os.path.join(tmp, "replay.png")
            r = view([os.path.join(CONFIGS, "rate_replay.ini"), "--set",
                      "protocol.epochs=run 3 laps, sleep 30 s", "--headless", "--frames", "3000",
                      "--speed", "10", "--stop-on-replay", "--screenshot", png, "--dump-state",
                      "--quiet"] + extra)
            self.assertEqual(r.returncode, 0, r.stderr)
            d = parse_dump(r.stdout)
            dec = d["decoded"]
            self.assertLess(d["frames"], 3000, "no replay was shown")
            self.assertEqual(dec["visible"], "1")
            self.assertGreaterEqual(int(dec["bursts"]), 1)
            # the decoded position is on the 2 m track
            self.assertTrue(0 <= float(dec["x"]) <= 2.0 and abs(float(dec["y"])) < 0.06)
            img = load_png(png)
            px, py, rad = int(dec["px"]), int(dec["py"]), int(dec["radius"])
            ys, xs = np.nonzero(colour_mask(img, dec["rgb"]))
            self.assertGreater(len(xs), 2 * rad, "the decoded-position marker is missing")
            self.assertLessEqual(np.hypot(xs - px, ys - py).max(), rad + 1.5,
                                 "the decoded marker's colour appears elsewhere")
            return d, img

    def test_first_replay(self):
        # with the network resting at the reward sites (the default), the first replays come
        # while the rat waits at a site between laps: awake replay, the rat drawn at the site
        d, img = self.replay_frame([])
        rat = d["rat"]
        if rat["mode"] == "sleep":
            self.assertEqual(colour_mask(img, rat["rgb"]).sum(), 0)
        else:
            self.assertEqual(rat["mode"], "run")
            self.assertTrue(float(rat["x"]) in (0.0, 2.0), rat)  # at a reward site
            ys, xs = np.nonzero(colour_mask(img, rat["rgb"]))
            self.assertLessEqual(np.hypot(xs - int(rat["px"]), ys - int(rat["py"])).max(),
                                 int(rat["radius"]) + 1.5)

    def test_replay_in_sleep(self):
        # no stops at the reward sites: the first replay comes in sleep
        d, img = self.replay_frame(["--set", "agent.dwell_s=0"])
        rat = d["rat"]
        self.assertEqual(rat["mode"], "sleep")
        # the rat sleeps off the maze: its marker is not drawn
        self.assertEqual(colour_mask(img, rat["rgb"]).sum(), 0)

    def test_no_decoded_marker_while_running(self):
        r = view([os.path.join(CONFIGS, "rate_replay.ini"), "--headless", "--frames", "60",
                  "--speed", "4", "--dump-state", "--quiet"])
        self.assertEqual(r.returncode, 0, r.stderr)
        d = parse_dump(r.stdout)
        self.assertEqual(d["decoded"]["visible"], "0")
        self.assertEqual(d["rat"]["mode"], "run")


class Playback(unittest.TestCase):
    """`ammon view SESSION.h5` shows what the live viewer showed: same rat, same replay."""

    def test_same_as_live(self):
        with tempfile.TemporaryDirectory() as tmp:
            h5 = os.path.join(tmp, "rr.h5")
            # the first replay comes at a reward site during the laps (test_first_replay)
            sets = ["--set", "protocol.epochs=run 3 laps"]
            cfg = os.path.join(CONFIGS, "rate_replay.ini")
            r = subprocess.run([AMMON, "run", cfg, "-o", h5, "--quiet"] + sets,
                               capture_output=True, text=True, timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr)
            common = ["--headless", "--frames", "3000", "--speed", "10", "--stop-on-replay",
                      "--dump-state", "--quiet"]
            live = parse_dump(view([cfg] + sets + common).stdout)
            png = os.path.join(tmp, "pb.png")
            r = view([h5, "--screenshot", png] + common)
            self.assertEqual(r.returncode, 0, r.stderr)
            pb = parse_dump(r.stdout)
            self.assertEqual(pb["frames"], live["frames"])
            for k in ("visible", "x", "px", "py", "bursts", "windows"):
                self.assertEqual(pb["decoded"][k], live["decoded"][k], k)
            self.assertEqual(pb["decoded"]["visible"], "1")
            img = load_png(png)
            dec = pb["decoded"]
            ys, xs = np.nonzero(colour_mask(img, dec["rgb"]))
            self.assertGreater(len(xs), 2 * int(dec["radius"]))
            self.assertLessEqual(np.hypot(xs - int(dec["px"]), ys - int(dec["py"])).max(),
                                 int(dec["radius"]) + 1.5)
            # the rat while running: within a behaviour sample (10 ms) of the live one
            lt = os.path.join(tmp, "lt.h5")
            short = ["--set", "protocol.epochs=run 2 laps", "--set", "cells.n=200"]
            r = subprocess.run([AMMON, "run", os.path.join(CONFIGS, "linear_track.ini"), "-o",
                                lt, "--quiet"] + short, capture_output=True, text=True,
                               timeout=600)
            self.assertEqual(r.returncode, 0, r.stderr)
            args = ["--headless", "--frames", "200", "--speed", "2", "--dump-state", "--quiet"]
            rl = parse_dump(view([os.path.join(CONFIGS, "linear_track.ini")] + short
                                 + args).stdout)["rat"]
            png = os.path.join(tmp, "lt.png")
            rp = view([lt, "--screenshot", png] + args)
            self.assertEqual(rp.returncode, 0, rp.stderr)
            rp = parse_dump(rp.stdout)["rat"]
            self.assertAlmostEqual(float(rp["t"]), float(rl["t"]), delta=0.002)
            self.assertAlmostEqual(float(rp["x"]), float(rl["x"]), delta=0.005)
            self.assertGreater(float(rp["x"]), 0.3)
            mask = colour_mask(load_png(png), rp["rgb"])
            ys, xs = np.nonzero(mask)
            self.assertGreater(len(xs), 2.5 * int(rp["radius"]) ** 2)
            self.assertLessEqual(np.hypot(xs - int(rp["px"]), ys - int(rp["py"])).max(),
                                 int(rp["radius"]) + 1.5)

    def test_bad_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            junk = os.path.join(tmp, "junk.h5")
            with open(junk, "w") as f:
                f.write("not hdf5")
            for path in (junk, os.path.join(tmp, "missing.h5")):
                r = view([path, "--headless", "--frames", "2"])
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(os.path.basename(path), r.stderr)
            r = view([junk, "--headless", "--frames", "2", "--set", "run.seed=2"])
            self.assertEqual(r.returncode, 2)
            self.assertIn("session file", r.stderr)


class Controls(unittest.TestCase):
    LT = os.path.join(CONFIGS, "linear_track.ini")

    def dump(self, extra, frames=30):
        r = view([self.LT, "--headless", "--frames", str(frames), "--dump-state", "--quiet"]
                 + extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse_dump(r.stdout)

    def test_modes(self):
        self.assertEqual(self.dump(["--keys", "3:s"])["rat"]["mode"], "sleep")
        self.assertEqual(self.dump(["--keys", "3:e"])["rat"]["mode"], "rest")
        self.assertEqual(self.dump(["--keys", "3:s,10:r"])["rat"]["mode"], "run")

    def test_speed_and_pause(self):
        t1 = float(self.dump([])["rat"]["t"])
        self.assertAlmostEqual(t1, 1.0, delta=0.01)  # 30 frames at 30 fps, 1x
        t2 = float(self.dump(["--keys", "0:+"])["rat"]["t"])
        self.assertAlmostEqual(t2, 2.0, delta=0.01)
        t3 = float(self.dump(["--speed", "0.2", "--keys", "0:-,1:-"])["rat"]["t"])
        self.assertAlmostEqual(t3, 0.1, delta=0.01)  # clamped at 0.1x
        t4 = float(self.dump(["--keys", "10: "])["rat"]["t"])
        self.assertAlmostEqual(t4, 10 / 30, delta=0.01)  # paused after 10 frames
        t5 = float(self.dump(["--keys", "10: ,20:."])["rat"]["t"])
        self.assertAlmostEqual(t5, 11 / 30, delta=0.01)  # one frame's worth more
        d = self.dump(["--keys", "0:q"])
        self.assertEqual(d["frames"], 0)

    def test_reset_and_next_experiment(self):
        # x at frame 20 starts the run again: after 30 frames the clock shows 10 frames (20 run,
        # the key's frame used up, 9 more after the reset would be 0.3 s; allow one frame)
        t = float(self.dump(["--keys", "20:x"])["rat"]["t"])
        self.assertAlmostEqual(t, 9 / 30, delta=0.04)
        # n switches to the next .ini of the config's folder (name order, wrapping)
        with tempfile.TemporaryDirectory() as tmp:
            for name, size in (("a.ini", 200), ("b.ini", 90)):
                with open(os.path.join(tmp, name), "w") as f:
                    f.write(f"[maze]\ntype = linear\nsize_cm = {size}\n[cells]\nn = 50\n")
            r = view([os.path.join(tmp, "a.ini"), "--headless", "--frames", "30", "--keys",
                      "10:n,20:n"])
            self.assertEqual(r.returncode, 0, r.stderr)
            switched = [ln for ln in r.stderr.splitlines() if "switched to" in ln]
            self.assertEqual([ln.rsplit("/", 1)[1] for ln in switched], ["b.ini", "a.ini"])
            with open(os.path.join(tmp, "c.txt"), "w") as f:
                f.write("not a config")
            os.remove(os.path.join(tmp, "b.ini"))
            r = view([os.path.join(tmp, "a.ini"), "--headless", "--frames", "30", "--keys",
                      "10:n"])
            self.assertEqual(r.returncode, 1)
            self.assertIn("no other experiment", r.stderr)

    def test_help_overlay_changes_the_picture(self):
        with tempfile.TemporaryDirectory() as tmp:
            a, b = os.path.join(tmp, "a.png"), os.path.join(tmp, "b.png")
            for png, keys in ((a, []), (b, ["--keys", "0:h"])):
                r = view([self.LT, "--headless", "--frames", "2", "--screenshot", png,
                          "--quiet"] + keys)
                self.assertEqual(r.returncode, 0, r.stderr)
            ia, ib = load_png(a), load_png(b)
            diff = np.any(ia != ib, axis=2)
            ys, xs = np.nonzero(diff)
            # the overlay is centred; the status line (fps) may differ too
            centre = diff[H // 2 - 60:H // 2 + 60, W // 2 - 200:W // 2 + 200]
            self.assertGreater(centre.mean(), 0.3)


class Files(unittest.TestCase):
    def test_frames_dir(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "frames")
            env_path = "/nonexistent"  # no ffmpeg: PNG frames only, silently
            r = subprocess.run([AMMON, "view", os.path.join(CONFIGS, "linear_track.ini"),
                                "--headless", "--frames", "4", "--frames-dir", out, "--quiet"],
                               capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, PATH=env_path))
            self.assertEqual(r.returncode, 0, r.stderr)
            names = sorted(os.listdir(out))
            self.assertEqual(names, [f"frame_{i:06d}.png" for i in range(4)])
            self.assertEqual(load_png(os.path.join(out, names[-1])).shape[:2], (H, W))


class Errors(unittest.TestCase):
    LT = os.path.join(CONFIGS, "linear_track.ini")

    def test_bad_input(self):
        cases = [
            ([self.LT, "--headless"], 2, "--frames"),
            ([self.LT, "--headless", "--frames", "2", "--speed", "50"], 2, "0.1 to 10"),
            ([self.LT, "--headless", "--frames", "2", "--keys", "x"], 1, "FRAME:KEY"),
            ([self.LT, "--headless", "--frames", "2", "--font", "/no/such.ttf"], 1,
             "fonts-dejavu-core"),
            ([self.LT, "--headless", "--frames", "2", "--set", "maze.typo=1"], 1, "maze.typo"),
            ([], 2, "no CONFIG"),
            ([self.LT, "--frobnicate"], 2, "unknown option"),
            ([self.LT, "--frames", "2"], 1, "no display"),
        ]
        for args, rc, text in cases:
            r = view(args)
            self.assertEqual(r.returncode, rc, (args, r.stderr))
            self.assertIn(text, r.stderr, args)
            # one line of ours (SDL itself may warn about XDG_RUNTIME_DIR without a display)
            ours = [ln for ln in r.stderr.splitlines() if ln.startswith("ammon")]
            self.assertEqual(len(ours), 1, r.stderr)

    def test_help(self):
        r = view(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("--headless", r.stdout)
        self.assertIn("ffmpeg", r.stdout)
        self.assertIn("space", r.stdout)
        r = subprocess.run([AMMON, "--help"], capture_output=True, text=True)
        self.assertIn("view CONFIG", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
