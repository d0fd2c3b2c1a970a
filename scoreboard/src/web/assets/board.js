// The public board: redraws the table, banners and announcements from /api/board/stream.
"use strict";

// The team's name, and "waiting for its endpoint since 00:00" under it while it has none.
function teamCell(t) {
  const td = el("td", t.name, "team");
  if (t.waiting) {
    td.append(el("br"), el("span", t.waiting, "muted waiting"));
  }
  return td;
}

function drawBoard(board) {
  const rows = board.teams.map((t) => {
    const tr = el("tr");
    tr.append(
      el("td", String(t.rank), "rank num"),
      teamCell(t),
      el("td", t.score, "num " + signClass(t.score_milli)),
      el("td", t.trend, "num " + signClass(t.trend_milli)),
    );
    return tr;
  });
  document.getElementById("board").replaceChildren(...rows);
  document.getElementById("now").textContent = board.now;
  const banners = [];
  if (board.over) banners.push(el("div", "Game over", "banner over"));
  else if (board.paused) banners.push(el("div", "Game paused", "banner paused"));
  if (board.frozen) banners.push(el("div", "Scoreboard frozen", "banner"));
  document.getElementById("banners").replaceChildren(...banners);
  const news = board.announcements.slice().reverse().map((a) => {
    const div = el("div", undefined, "announce");
    div.append(el("time", a.at), document.createTextNode(a.text));
    return div;
  });
  document.getElementById("announcements").replaceChildren(...news);
}

const live = document.getElementById("live");
const source = new EventSource("/api/board/stream");
source.addEventListener("board", (m) => drawBoard(JSON.parse(m.data)));
source.onopen = () => live.classList.remove("off");
source.onerror = () => live.classList.add("off");

// The score race: the leaders (or every team) over the whole game, redrawn as the board
// changes (at most every few seconds: a hundred lines are not redrawn on every tick).
const raceBox = document.getElementById("race");
const raceTop = document.getElementById("race-top");

async function drawRace() {
  const answer = await fetch("/api/board/race?top=" + encodeURIComponent(raceTop.value));
  if (!answer.ok) return;
  const race = await answer.json();
  const many = race.teams.length > 12;
  const lines = race.teams.map((t, i) => ({
    label: t.rank + ". " + t.name,
    colour: colour(i),
    values: t.score,
    width: many && i >= 10 ? 1 : 3,
  }));
  chart(raceBox, "", race.t, lines, many ? 520 : 420);
  raceBox.dataset.teams = String(race.teams.length);
  raceBox.dataset.points = String(race.t.length);
  raceBox.dataset.drawn = String(Number(raceBox.dataset.drawn || 0) + 1);
}

const drawRaceSoon = throttled(drawRace, 3000);
source.addEventListener("board", drawRaceSoon);
raceTop.addEventListener("change", drawRace);
drawRace();
