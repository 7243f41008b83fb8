// The run loop (play, pause, step, speed), separate from rendering: it only moves `it` and calls
// onFrame() when it moved (onFrame(true) from its animation frame: draw now, in this frame). Playback waits for points still streaming in and stops at the end only:
// autoplay always completes, and Play at the end replays from 0.

export const PLAY_SECONDS = 5;

export class Player {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.it = 0;
    this.max = 0; // last iteration available (grows while points stream in)
    this.total = 0; // last iteration expected
    this.complete = false; // every run has all its points: `max` will not grow any more
    this.playing = false;
    this.speed = 1; // × the base rate: a whole run plays in about PLAY_SECONDS
    this._raf = null;
    this._tick = this._tick.bind(this);
  }

  reset(total) {
    this.it = 0;
    this.max = 0;
    this.total = total;
    this.complete = false;
  }

  setAvailable(max, complete = false) {
    this.max = max;
    this.complete = complete;
    if (complete) this.total = max;
    if (this.playing && !this._raf) this._raf = requestAnimationFrame(this._tick);
  }

  get atEnd() {
    return this.complete && this.it >= this.max;
  }

  play() {
    if (this.atEnd) { this.it = 0; this.onFrame(); }
    this.playing = true;
    this._last = performance.now();
    this._carry = 0;
    if (!this._raf) this._raf = requestAnimationFrame(this._tick);
    this.onFrame();
  }

  pause() {
    if (!this.playing) return;
    this.playing = false;
    this.onFrame();
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  step(n = 1) {
    this.playing = false;
    this.seek(this.it + n);
  }

  seek(it) {
    this.it = Math.max(0, Math.min(Math.round(it), this.max));
    this.onFrame();
  }

  _tick() {
    this._raf = null;
    if (!this.playing) return;
    const now = performance.now();
    const rate = (Math.max(this.total, 50) / PLAY_SECONDS) * this.speed; // iterations per second
    this._carry += ((now - this._last) / 1000) * rate;
    this._last = now;
    if (this.it >= this.max) {
      this._carry = 0;
      if (this.complete) { // the end: stop here (Play again replays)
        this.playing = false;
        this.onFrame(true);
        return;
      }
      // waiting for points still on their way: setAvailable() wakes the loop
      return;
    }
    const n = Math.floor(this._carry);
    if (n > 0) {
      this._carry -= n;
      this.it = Math.min(this.max, this.it + n);
      this.onFrame(true);
    }
    this._raf = requestAnimationFrame(this._tick);
  }
}
