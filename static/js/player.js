// The run loop (play, pause, step, speed), separate from rendering: it only moves `it` and
// calls onFrame(from, to) with the range to show.

export const PLAY_SECONDS = 5;

export class Player {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.it = 0;
    this.max = 0; // last iteration available (grows while points stream in)
    this.total = 0; // last iteration expected
    this.playing = false;
    this.speed = 1; // × the base rate: a whole run plays in about PLAY_SECONDS
    this._raf = null;
    this._last = 0;
    this._tick = this._tick.bind(this);
  }

  reset(total) {
    this.it = 0;
    this.max = 0;
    this.total = total;
  }

  setAvailable(max) {
    this.max = max;
  }

  play() {
    if (this.it >= this.total && this.max >= this.total) this.seek(0);
    this.playing = true;
    this._last = performance.now();
    this._carry = 0;
    if (!this._raf) this._raf = requestAnimationFrame(this._tick);
  }

  pause() {
    this.playing = false;
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  step(n = 1) {
    this.pause();
    this.seek(this.it + n);
  }

  seek(it) {
    const from = this.it;
    this.it = Math.max(0, Math.min(Math.round(it), this.max));
    this.onFrame(from, this.it);
  }

  _tick() {
    this._raf = null;
    if (!this.playing) return;
    const now = performance.now();
    const rate = (Math.max(this.total, 50) / PLAY_SECONDS) * this.speed; // iterations per second
    this._carry += ((now - this._last) / 1000) * rate;
    this._last = now;
    const n = Math.floor(this._carry);
    if (this.it < this.max && n > 0) {
      this._carry -= n;
      const from = this.it;
      this.it = Math.min(this.max, this.it + n);
      this.onFrame(from, this.it);
    } else if (this.max >= this.total) {
      this.playing = false; // reached the end
      this.onFrame(this.it, this.it);
      return;
    }
    this._raf = requestAnimationFrame(this._tick);
  }
}
