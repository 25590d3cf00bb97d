// The meeting board's script: fills each language's column from the server's snapshot, keeps
// the timers counting, and stays connected on its own.
//
// Everything the server sends is data: it is placed with textContent, never parsed as HTML.
// The server sends the whole board on connecting and after each change ("board" events), and
// the time every 15 seconds ("tick"), so each screen counts on the server's clock. When the
// connection drops (the bot restarting, the network), the browser reconnects; if that fails
// for good, this script tries again, and says so when the link itself no longer opens anything.
"use strict";

(() => {
  const columns = Array.from(document.querySelectorAll("section.column"));
  const status = document.getElementById("status");
  const SILENCE_MS = 45000; // three ticks missed: the connection is dead, even if it looks open
  let board = null;
  let offset = 0; // the server's clock minus this one
  let source = null;
  let heard = Date.now();
  let delay = 1000;
  let gone = false;

  const now = () => Date.now() + offset;

  // The status line's words, one set per language, kept out of sight until needed.
  const statusWords = document.createElement("div");
  statusWords.hidden = true;
  statusWords.append(...Array.from(status.children));
  document.body.append(statusWords);

  function make(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = text;
    return element;
  }

  function clock(seconds) {
    const whole = Math.max(0, Math.floor(seconds));
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function centerClass(center) {
    const index = board ? board.centers.indexOf(center) : -1;
    return index >= 0 && index < 3 ? `c${index}` : "";
  }

  // -- placing the snapshot ---------------------------------------------------------------

  // What a person wrote; a translation comes with its label and the original, beneath.
  function words(element, said) {
    element.replaceChildren();
    if (!said) return;
    element.append(make("span", "text", said.text));
    if (said.note) element.append(make("span", "note", ` ${said.note}`));
  }

  function person(who) {
    const line = make("span", "who");
    line.append(who.name, make("span", `center ${centerClass(who.center)}`, who.center));
    if (who.kind) line.append(make("span", `kind ${who.jumps}`, who.kind));
    return line;
  }

  function field(column, name) {
    return column.querySelector(`[data-field="${name}"]`);
  }

  function list(column, name) {
    return column.querySelector(`[data-list="${name}"]`);
  }

  function placeHead(column, view) {
    const title = column.querySelector('[data-words="title"]');
    if (view.title) words(title, view.title);
    else title.textContent = column.dataset.idle;
  }

  function placeItem(column, view) {
    const item = view.item;
    field(column, "item-place").textContent = item ? item.place : "";
    const title = column.querySelector('[data-words="item-title"]');
    if (item) words(title, item.title);
    else title.textContent = view.title ? column.dataset.noItem : "";
    field(column, "item-owner").textContent = item && item.owner ? item.owner : "";
    const upcoming = field(column, "upcoming");
    upcoming.replaceChildren();
    if (view.upcoming) {
      upcoming.append(`${view.upcoming.label} `);
      const next = make("span");
      words(next, view.upcoming.title);
      upcoming.append(next);
    }
  }

  function placeFloor(column, view) {
    const floor = field(column, "floor");
    floor.replaceChildren();
    if (view.floor) floor.append(person(view.floor));
    else floor.append(make("span", "quiet", column.dataset.nobodySpeaking));
  }

  function placeWaiting(column, view) {
    const waiting = list(column, "waiting");
    waiting.replaceChildren(...view.waiting.map((who) => {
      const line = make("li");
      line.append(person(who));
      return line;
    }));
    if (!view.waiting.length && view.title) {
      waiting.append(make("li", "quiet", column.dataset.nobodyWaiting));
    }
    field(column, "more-waiting").textContent = view.more_waiting || "";
  }

  function placeSpoken(column, view) {
    const bars = list(column, "spoken");
    bars.replaceChildren(...view.spoken.map((spoken) => {
      const line = make("li");
      line.dataset.center = spoken.center;
      line.dataset.seconds = String(spoken.seconds);
      const label = make("span", "label");
      label.append(make("span", `center ${centerClass(spoken.center)}`, spoken.center));
      label.append(make("span", "clock", clock(spoken.seconds)));
      const track = make("span", "track");
      track.append(make("span", `fill ${centerClass(spoken.center)}`));
      line.append(label, track);
      return line;
    }));
  }

  function placePolls(column, view) {
    const polls = list(column, "polls");
    polls.replaceChildren(...view.polls.map((poll) => {
      const box = make("div", "poll");
      const question = make("p", "question");
      question.append(`${poll.number} `);
      const asked = make("span");
      words(asked, poll.question);
      question.append(asked);
      const turnout = make("p", "turnout");
      turnout.append(make("strong", null, poll.voted));
      turnout.append(` · ${poll.centers.map((c) => c.text).join(" · ")}`);
      box.append(question, make("p", "rule", poll.rule), turnout);
      if (poll.note) box.append(make("p", "note", poll.note));
      if (poll.deadline_at) {
        const closes = make("p", "timer-line rule");
        closes.dataset.deadline = String(poll.deadline_at);
        box.append(closes);
      }
      return box;
    }));
    if (!view.polls.length) polls.append(make("p", "quiet", column.dataset.noPolls));
  }

  function placeResult(column, view) {
    const panel = column.querySelector('[data-panel="result"]');
    const result = view.result;
    panel.hidden = !result;
    const box = list(column, "result");
    box.replaceChildren();
    if (!result) return;
    const question = make("p", "question");
    question.append(`${result.number} `);
    const asked = make("span");
    words(asked, result.question);
    question.append(asked);
    const verdict = result.passed === true ? "passed" : result.passed === false ? "failed" : "";
    const lines = make("ul", "lines");
    lines.append(...result.lines.map((text) => make("li", null, text)));
    box.append(question, make("p", `outcome ${verdict}`, result.outcome), lines);
  }

  function placeEntries(column, view) {
    const entries = list(column, "entries");
    entries.replaceChildren(...view.entries.map((entry) => {
      const line = make("li", `entry ${entry.kind}`);
      line.append(make("span", "label", entry.label));
      const text = make("span");
      words(text, entry.text);
      line.append(text);
      if (entry.owner) line.append(make("span", "owner", entry.owner));
      return line;
    }));
    if (!view.entries.length && view.title) {
      entries.append(make("li", "quiet", column.dataset.noEntries));
    }
  }

  function place() {
    for (const column of columns) {
      const view = board.views[column.dataset.language];
      if (!view) continue;
      placeHead(column, view);
      placeItem(column, view);
      placeFloor(column, view);
      placeWaiting(column, view);
      placeSpoken(column, view);
      placePolls(column, view);
      placeResult(column, view);
      placeEntries(column, view);
    }
    count();
  }

  // -- timers -----------------------------------------------------------------------------

  // "{time} left" as a big clock in small words.
  function show(element, template, seconds) {
    const [before, after] = template.split("{time}");
    const shown = clock(seconds);
    if (element.dataset.shown === template + shown) return;
    element.dataset.shown = template + shown;
    element.replaceChildren();
    if (before) element.append(make("span", "words", before));
    element.append(make("span", "clock", shown));
    if (after) element.append(make("span", "words", after));
  }

  // Near the end: the last fifth of the time, and never less than the last 30 seconds.
  function timer(element, column, startedAt, allowed) {
    if (!startedAt) {
      element.classList.remove("near", "over");
      element.replaceChildren();
      element.dataset.shown = "";
      return;
    }
    const elapsed = (now() - startedAt) / 1000;
    const left = allowed ? allowed - elapsed : null;
    element.classList.toggle("over", left !== null && left < 0);
    element.classList.toggle("near", left !== null && left >= 0 && left <= Math.max(30, allowed / 5));
    if (left === null) show(element, column.dataset.timerElapsed, elapsed);
    else if (left < 0) show(element, column.dataset.timerOver, -left);
    else show(element, column.dataset.timerLeft, Math.ceil(left));
  }

  function countSpoken(column, view) {
    const lines = Array.from(list(column, "spoken").children);
    const floor = view.floor;
    const totals = lines.map((line) => {
      let seconds = Number(line.dataset.seconds);
      if (floor && floor.center === line.dataset.center) {
        seconds += Math.max(0, (now() - floor.started_at) / 1000);
      }
      return seconds;
    });
    const most = Math.max(1, ...totals);
    lines.forEach((line, index) => {
      line.querySelector(".clock").textContent = clock(totals[index]);
      line.querySelector(".fill").style.width = `${(100 * totals[index]) / most}%`;
    });
  }

  function count() {
    if (!board) return;
    for (const column of columns) {
      const view = board.views[column.dataset.language];
      if (!view) continue;
      const item = view.item;
      timer(column.querySelector('[data-timer="item"]'), column,
        item && item.started_at, item && item.timebox);
      const floor = view.floor;
      timer(column.querySelector('[data-timer="floor"]'), column,
        floor && floor.started_at, floor && floor.limit);
      for (const line of column.querySelectorAll("[data-deadline]")) {
        const left = (Number(line.dataset.deadline) - now()) / 1000;
        show(line, column.dataset.closesIn, Math.ceil(left));
      }
      countSpoken(column, view);
    }
  }

  // -- the connection ---------------------------------------------------------------------

  function say(what) {
    if (!what) {
      status.hidden = true;
      return;
    }
    const primary = columns.length ? columns[0].dataset.language : "";
    const holder = statusWords.querySelector(`[lang="${primary}"]`)
      || statusWords.querySelector("span");
    status.textContent = holder ? holder.dataset[what] : "";
    status.hidden = false;
  }

  function listened(event) {
    const data = JSON.parse(event.data);
    offset = data.now - Date.now();
    heard = Date.now();
    delay = 1000;
    say(null);
    return data;
  }

  function connect() {
    source = new EventSource("events");
    source.addEventListener("board", (event) => {
      board = listened(event).board;
      document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
      place();
    });
    source.addEventListener("tick", listened);
    source.addEventListener("error", () => {
      if (gone) return;
      say("reconnecting");
      if (source.readyState === EventSource.CLOSED) retry();
    });
  }

  // The browser gave up (the server answered with an error): is the link itself still good?
  async function retry() {
    if (source) source.close();
    source = null;
    try {
      const answer = await fetch(".", { method: "HEAD", cache: "no-store" });
      if (answer.status === 404) {
        gone = true;
        say("gone");
        return;
      }
    } catch (error) {
      // The server is away: try again later.
    }
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  }

  function watch() {
    if (!gone && source && Date.now() - heard > SILENCE_MS) {
      say("reconnecting");
      heard = Date.now();
      retry();
    }
  }

  connect();
  setInterval(count, 250);
  setInterval(watch, 5000);
})();
