// The Marconi dashboard: plain JavaScript served as is (no build step, a few kilobytes).
// Everything it shows comes from the v2 API with the user's key, so it can do nothing the API refuses.
"use strict";

(function () {
  const refreshMs = 3000;
  const maxPages = 100;      // bounds one refresh: 100 pages of queues at most
  const statsInParallel = 4; // stats requests in flight at once
  const store = window.sessionStorage;

  const $ = (id) => document.getElementById(id);
  let generation = 0; // bumped on log-in and log-out, so a late answer to an old session is dropped
  let timer = null;

  class AccessRefused extends Error {}

  // Client-ID must be a UUID; crypto.randomUUID exists only on https or localhost, getRandomValues everywhere.
  function clientId() {
    let id = store.getItem("marconi.clientId");
    if (!id) {
      const b = crypto.getRandomValues(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      store.setItem("marconi.clientId", id);
    }
    return id;
  }

  async function api(path) {
    const headers = {
      "Accept": "application/json",
      "Client-ID": clientId(),
      "X-Project-ID": store.getItem("marconi.project"),
    };
    const key = store.getItem("marconi.key");
    if (key) {
      headers["X-Auth-Token"] = key;
    }
    const response = await fetch(path, { headers, cache: "no-store" });
    let body = null;
    if (response.status !== 204) {
      try { body = await response.json(); } catch { body = null; }
    }
    if (response.status === 401 || response.status === 403) {
      const why = body && body.description ? body.description : response.statusText;
      throw new AccessRefused(`The server refused access (${response.status}): ${why}`);
    }
    if (!response.ok) {
      const why = body && body.description ? body.description : response.statusText;
      throw new Error(`${path} answered ${response.status}: ${why}`);
    }
    return body;
  }

  async function listQueues() {
    const names = [];
    let marker = null;
    for (let page = 0; page < maxPages; page++) {
      const query = "detailed=true" + (marker === null ? "" : "&marker=" + encodeURIComponent(marker));
      const body = await api("/v2/queues?" + query);
      const queues = body && Array.isArray(body.queues) ? body.queues : [];
      if (queues.length === 0) {
        break;
      }
      for (const q of queues) {
        names.push(q.name);
      }
      marker = queues[queues.length - 1].name;
    }
    return names;
  }

  async function statsOf(names) {
    const stats = new Array(names.length);
    let next = 0;
    async function worker() {
      while (next < names.length) {
        const i = next++;
        const body = await api("/v2/queues/" + encodeURIComponent(names[i]) + "/stats");
        stats[i] = (body && body.messages) || {};
      }
    }
    await Promise.all(Array.from({ length: Math.min(statsInParallel, names.length) }, worker));
    return stats;
  }

  function cell(row, label, field, text, numeric) {
    const td = document.createElement("td");
    td.dataset.label = label;
    td.dataset.field = field;
    td.textContent = text;
    if (numeric) {
      td.className = "number";
    }
    row.appendChild(td);
  }

  function render(names, stats) {
    const body = $("queues").querySelector("tbody");
    const rows = names.map((name, i) => {
      const s = stats[i];
      const tr = document.createElement("tr");
      tr.dataset.queue = name;
      cell(tr, "Queue", "name", name, false);
      cell(tr, "Free", "free", String(s.free ?? 0), true);
      cell(tr, "Claimed", "claimed", String(s.claimed ?? 0), true);
      cell(tr, "Total", "total", String(s.total ?? 0), true);
      cell(tr, "Oldest (s)", "oldest", s.oldest ? String(s.oldest.age) : "–", true);
      return tr;
    });
    body.replaceChildren(...rows);
    $("queues").hidden = names.length === 0;
    $("empty").hidden = names.length !== 0;
    $("status").textContent = `${names.length} queue${names.length === 1 ? "" : "s"}; updated ${new Date().toLocaleTimeString()}, every ${refreshMs / 1000} s.`;
  }

  async function refresh(mine) {
    try {
      const names = await listQueues();
      const stats = await statsOf(names);
      if (mine !== generation) {
        return;
      }
      $("message").hidden = true;
      render(names, stats);
    } catch (error) {
      if (mine !== generation) {
        return;
      }
      if (error instanceof AccessRefused) {
        logOut(error.message);
        return;
      }
      showMessage(error.message + " Retrying.");
    }
    if (mine === generation) {
      timer = setTimeout(() => refresh(mine), refreshMs);
    }
  }

  function showMessage(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  function showDashboard() {
    generation++;
    $("login").hidden = true;
    $("dashboard").hidden = false;
    $("logout").hidden = false;
    $("who").hidden = false;
    $("who").textContent = "Project " + store.getItem("marconi.project");
    $("status").textContent = "Loading…";
    showMessage("");
    refresh(generation);
  }

  function logOut(reason) {
    generation++;
    clearTimeout(timer);
    store.removeItem("marconi.key");
    store.removeItem("marconi.session");
    $("dashboard").hidden = true;
    $("logout").hidden = true;
    $("who").hidden = true;
    $("queues").querySelector("tbody").replaceChildren();
    $("login").hidden = false;
    $("project").value = store.getItem("marconi.project") || "";
    showMessage(reason || "");
    $("key").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      const project = $("project").value.trim();
      if (!project) {
        showMessage("Give a project id.");
        return;
      }
      store.setItem("marconi.project", project);
      store.setItem("marconi.key", $("key").value);
      store.setItem("marconi.session", "1");
      $("key").value = "";
      showDashboard();
    });
    $("logout").addEventListener("click", () => logOut(""));
    if (store.getItem("marconi.session")) {
      showDashboard();
    } else {
      logOut("");
    }
  });
})();
