// The Marconi dashboard: plain JavaScript served as is (no build step, a few kilobytes).
// Everything it shows and does goes through the v2 API with the user's key, so it can do nothing the
// API refuses, and every action is an API request, logged and metered as any other.
"use strict";

(function () {
  const refreshMs = 3000;
  const maxPages = 100;         // bounds one refresh: 100 pages of queues or projects at most
  const inParallel = 4;         // stats requests in flight at once
  const messagesPerPage = 10;
  const claimScanPages = 5;     // live claims are looked for among the oldest 5 pages of 20 messages
  const claimScanLimit = 20;
  const chartPoints = 40;       // two minutes of 3 s samples
  const redriveLimit = 1000;
  const store = window.sessionStorage;
  const metricsPath = document.body.dataset.metrics || "";

  const $ = (id) => document.getElementById(id);
  let generation = 0; // bumped on every change of view, so a late answer for an old view is dropped
  let timer = null;
  const rates = { last: null, points: [] };
  const peek = { markers: [null], next: null }; // markers of the pages seen, the next page's marker
  let editingMetadata = false;
  let carriedNotice = ""; // what an action did, shown with the view that follows it

  class AccessRefused extends Error {}
  class Stale extends Error {}

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

  // One API request. 401 ends the session; 403 is the server's "no" to this action, shown as is.
  async function api(method, path, project, body, contentType) {
    const headers = { "Accept": "application/json", "Client-ID": clientId() };
    if (project) {
      headers["X-Project-ID"] = project;
    }
    const key = store.getItem("marconi.key");
    if (key) {
      headers["X-Auth-Token"] = key;
    }
    const init = { method, headers, cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let answer = null;
    if (response.status !== 204) {
      try { answer = await response.json(); } catch { answer = null; }
    }
    if (!response.ok) {
      const why = answer && answer.description ? answer.description : response.statusText;
      if (response.status === 401) {
        throw new AccessRefused(`The server refused the key (401): ${why}`);
      }
      const error = new Error(`${method} ${path} answered ${response.status}: ${why}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }

  const q = (name) => "/v2/queues/" + encodeURIComponent(name);
  const nextMarker = (body) => {
    const next = body && Array.isArray(body.links) ? body.links.find((l) => l.rel === "next") : null;
    if (!next) {
      return null;
    }
    return new URL(next.href, location.href).searchParams.get("marker");
  };

  // ----- views and routes: #/ , #/projects , #/p/{project} , #/p/{project}/q/{queue}

  function route() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "").map(decodeURIComponent);
    if (parts[0] === "projects") {
      return { view: "projects" };
    }
    if (parts[0] === "p" && parts.length === 2) {
      return { view: "queues", project: parts[1] };
    }
    if (parts[0] === "p" && parts[2] === "q" && parts.length === 4) {
      return { view: "queue", project: parts[1], queue: parts[3] };
    }
    return { view: "home" };
  }

  const href = {
    projects: () => "#/projects",
    project: (p) => "#/p/" + encodeURIComponent(p),
    queue: (p, name) => "#/p/" + encodeURIComponent(p) + "/q/" + encodeURIComponent(name),
  };

  function show(r) {
    generation++;
    clearTimeout(timer);
    const mine = generation;
    showMessage("");
    showNotice(carriedNotice);
    carriedNotice = "";
    if (!store.getItem("marconi.session")) {
      logOut("");
      return;
    }
    if (r.view === "home") {
      const project = store.getItem("marconi.project");
      location.replace(project ? href.project(project) : href.projects());
      return;
    }
    $("login").hidden = true;
    $("logout").hidden = false;
    $("who").hidden = false;
    const own = store.getItem("marconi.project");
    $("who").textContent = own ? "Project " + own : "Every project";
    for (const id of ["projects-view", "queues-view", "queue-view"]) {
      $(id).hidden = id !== r.view + "-view";
    }
    $("rates").hidden = !metricsPath;
    crumbs(r);
    if (r.view === "queue") {
      editingMetadata = false;
      peek.markers = [null];
      peek.next = null;
      $("queue-name").textContent = r.queue;
      $("metadata-form").hidden = true;
      $("metadata-edit").hidden = false;
      $("queue-view").querySelector(".status").textContent = "Loading…";
    }
    const view = $(r.view + "-view");
    view.querySelector(".status").textContent = "Loading…";
    refresh(mine, r);
  }

  function crumbs(r) {
    const nav = $("crumbs");
    const links = [];
    const link = (text, target) => {
      const a = document.createElement("a");
      a.href = target;
      a.textContent = text;
      links.push(a);
    };
    if (!store.getItem("marconi.project")) {
      link("Projects", href.projects());
    }
    if (r.project) {
      link("Project " + r.project, href.project(r.project));
    }
    if (r.queue) {
      link("Queue " + r.queue, href.queue(r.project, r.queue));
    }
    nav.replaceChildren(...links.flatMap((a, i) => (i === 0 ? [a] : [document.createTextNode(" › "), a])));
    nav.hidden = links.length === 0;
  }

  async function refresh(mine, r) {
    try {
      const work = [];
      if (r.view === "projects") {
        work.push(refreshProjects(mine));
      } else if (r.view === "queues") {
        work.push(refreshQueues(mine, r.project));
      } else if (r.view === "queue") {
        work.push(refreshQueue(mine, r.project, r.queue));
      }
      if (metricsPath) {
        work.push(refreshRates(mine));
      }
      await Promise.all(work);
      if (mine === generation) {
        $("message").hidden = true;
        $(r.view + "-view").querySelector(".status").textContent =
          `Updated ${new Date().toLocaleTimeString()}, every ${refreshMs / 1000} s.`;
      }
    } catch (error) {
      if (mine !== generation || error instanceof Stale) {
        return;
      }
      if (error instanceof AccessRefused) {
        logOut(error.message);
        return;
      }
      showMessage(error.message + (error.status === 403 ? "" : " Retrying."));
    }
    if (mine === generation) {
      timer = setTimeout(() => refresh(mine, r), refreshMs);
    }
  }

  function check(mine) {
    if (mine !== generation) {
      throw new Stale();
    }
  }

  // ----- projects (admin keys)

  async function refreshProjects(mine) {
    const projects = [];
    let marker = null;
    for (let page = 0; page < maxPages; page++) {
      let body;
      try {
        body = await api("GET", "/v2/admin/projects" + (marker === null ? "" : "?marker=" + encodeURIComponent(marker)));
      } catch (error) {
        if (error.status === 403 && mine === generation) {
          // A project key: the page cannot tell its project, the user can.
          throw new AccessRefused("Only an admin key lists every project: give this key's project id. " + error.message);
        }
        throw error;
      }
      check(mine);
      const items = body && Array.isArray(body.projects) ? body.projects : [];
      projects.push(...items);
      marker = nextMarker(body);
      if (items.length === 0 || marker === null) {
        break;
      }
    }
    const rows = projects.map((p) => {
      const tr = document.createElement("tr");
      tr.dataset.project = p.name;
      linkCell(tr, "Project", "name", p.name, href.project(p.name));
      cell(tr, "Queues", "queues", String(p.queues), true);
      return tr;
    });
    fill($("projects"), $("projects-view").querySelector(".empty"), rows);
  }

  // ----- one project's queues

  async function listQueues(mine, project) {
    const names = [];
    let marker = null;
    for (let page = 0; page < maxPages; page++) {
      const body = await api("GET", "/v2/queues" + (marker === null ? "" : "?marker=" + encodeURIComponent(marker)), project);
      check(mine);
      const queues = body && Array.isArray(body.queues) ? body.queues : [];
      names.push(...queues.map((x) => x.name));
      if (queues.length === 0) {
        break;
      }
      marker = queues[queues.length - 1].name;
    }
    return names;
  }

  const stats = (project, name) =>
    api("GET", q(name) + "/stats?include_delayed=true", project).then((body) => (body && body.messages) || {});

  async function statsOf(mine, project, names) {
    const all = new Array(names.length);
    let next = 0;
    async function worker() {
      while (next < names.length) {
        const i = next++;
        all[i] = await stats(project, names[i]);
        check(mine);
      }
    }
    await Promise.all(Array.from({ length: Math.min(inParallel, names.length) }, worker));
    return all;
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
    return td;
  }

  function linkCell(row, label, field, text, target) {
    cell(row, label, field, "", false).appendChild(Object.assign(document.createElement("a"), { href: target, textContent: text }));
  }

  // A table's rows, the table shown only with rows and its "none" line only without.
  function fill(table, empty, rows) {
    table.querySelector("tbody").replaceChildren(...rows);
    table.hidden = rows.length === 0;
    empty.hidden = rows.length !== 0;
  }

  async function refreshQueues(mine, project) {
    const names = await listQueues(mine, project);
    const all = await statsOf(mine, project, names);
    const rows = names.map((name, i) => {
      const s = all[i];
      const tr = document.createElement("tr");
      tr.dataset.queue = name;
      linkCell(tr, "Queue", "name", name, href.queue(project, name));
      cell(tr, "Free", "free", String(s.free ?? 0), true);
      cell(tr, "Claimed", "claimed", String(s.claimed ?? 0), true);
      cell(tr, "Delayed", "delayed", String(s.delayed ?? 0), true);
      cell(tr, "Total", "total", String(s.total ?? 0), true);
      cell(tr, "Oldest (s)", "oldest", s.oldest ? String(s.oldest.age) : "–", true);
      return tr;
    });
    fill($("queues"), $("empty"), rows);
  }

  // ----- one queue

  async function refreshQueue(mine, project, name) {
    const metadata = await api("GET", q(name), project);
    check(mine);
    const [s] = await Promise.all([
      stats(project, name),
      refreshMessages(mine, project, name),
      refreshClaims(mine, project, name),
      refreshSubscriptions(mine, project, name),
    ]);
    check(mine);
    for (const field of ["free", "claimed", "delayed", "total"]) {
      $("depth").querySelector(`[data-field='${field}']`).textContent = String(s[field] ?? 0);
    }
    $("depth").querySelector("[data-field='oldest']").textContent = s.oldest ? String(s.oldest.age) : "–";
    if (!editingMetadata) {
      $("metadata").textContent = JSON.stringify(metadata, null, 2);
      $("metadata").dataset.text = JSON.stringify(metadata);
    }
    await refreshDeadLetters(mine, project, name, metadata || {});
  }

  async function refreshDeadLetters(mine, project, name, metadata) {
    const dlq = metadata._dead_letter_queue;
    const max = metadata._max_claim_count;
    const p = $("dead-letter");
    if (!dlq) {
      p.textContent = "No dead-letter queue: messages are claimed again however often they were claimed before.";
      $("redrive").hidden = true;
      return;
    }
    const s = await stats(project, dlq);
    check(mine);
    const ttl = metadata._dead_letter_queue_messages_ttl;
    p.replaceChildren(
      document.createTextNode(max ? `After ${max} claims a message moves to ` : "Dead-letter queue "),
      Object.assign(document.createElement("a"), { href: href.queue(project, dlq), textContent: dlq }),
      document.createTextNode(
        (max ? "" : " (no _max_claim_count: nothing moves yet)")
        + (ttl ? `, where it lives ${ttl} s` : "")
        + `. It holds ${s.free ?? 0} free and ${s.claimed ?? 0} claimed messages.`),
    );
    p.dataset.free = String(s.free ?? 0);
    $("redrive").hidden = false;
    $("redrive").disabled = !(s.free > 0);
  }

  async function refreshMessages(mine, project, name) {
    const marker = peek.markers[peek.markers.length - 1];
    const body = await api("GET", q(name) + "/messages?include_claimed=true&include_delayed=true&echo=true&limit="
      + messagesPerPage + (marker === null ? "" : "&marker=" + encodeURIComponent(marker)), project);
    check(mine);
    const messages = body && Array.isArray(body.messages) ? body.messages : [];
    peek.next = messages.length > 0 ? nextMarker(body) : null;
    const rows = messages.map((m) => {
      const tr = document.createElement("tr");
      tr.dataset.message = m.id;
      cell(tr, "Id", "id", m.id, false);
      cell(tr, "Age (s)", "age", String(m.age), true);
      cell(tr, "TTL (s)", "ttl", String(m.ttl), true);
      cell(tr, "Claim", "claim", claimOf(m) || "–", false);
      const text = JSON.stringify(m.body);
      cell(tr, "Body", "body", text.length > 200 ? text.slice(0, 200) + "…" : text, false).className = "body";
      return tr;
    });
    fill($("messages"), $("no-messages"), rows);
    $("messages-next").disabled = peek.next === null;
    $("messages-first").disabled = peek.markers.length === 1;
  }

  const claimOf = (message) => new URL(message.href, location.href).searchParams.get("claim_id");

  async function refreshClaims(mine, project, name) {
    $("claim-scan").textContent = String(claimScanPages * claimScanLimit);
    const ids = new Map();
    let marker = null;
    for (let page = 0; page < claimScanPages; page++) {
      const body = await api("GET", q(name) + "/messages?include_claimed=true&include_delayed=true&limit=" + claimScanLimit
        + "&echo=true" + (marker === null ? "" : "&marker=" + encodeURIComponent(marker)), project);
      check(mine);
      const messages = body && Array.isArray(body.messages) ? body.messages : [];
      for (const m of messages) {
        const id = claimOf(m);
        if (id) {
          ids.set(id, (ids.get(id) || 0) + 1);
        }
      }
      marker = nextMarker(body);
      if (messages.length < claimScanLimit || marker === null) {
        break;
      }
    }
    const claims = [];
    for (const id of ids.keys()) {
      try {
        claims.push({ id, claim: await api("GET", q(name) + "/claims/" + encodeURIComponent(id), project) });
      } catch (error) {
        if (error.status !== 404) {
          throw error;
        }
      }
      check(mine);
    }
    const rows = claims.map(({ id, claim }) => {
      const tr = document.createElement("tr");
      tr.dataset.claim = id;
      cell(tr, "Claim", "id", id, false);
      cell(tr, "Messages", "messages", String(Array.isArray(claim.messages) ? claim.messages.length : ids.get(id)), true);
      cell(tr, "Age (s)", "age", String(claim.age), true);
      cell(tr, "Left (s)", "left", String(Math.max(0, claim.ttl - claim.age)), true);
      return tr;
    });
    fill($("claims"), $("no-claims"), rows);
  }

  async function refreshSubscriptions(mine, project, name) {
    let subscriptions = [];
    try {
      const body = await api("GET", q(name) + "/subscriptions?limit=20", project);
      subscriptions = body && Array.isArray(body.subscriptions) ? body.subscriptions : [];
    } catch (error) {
      if (error.status !== 403) {
        throw error;
      }
      check(mine);
      $("subscriptions").hidden = true;
      $("no-subscriptions").hidden = false;
      $("no-subscriptions").textContent = "This key may not read subscriptions: " + error.message;
      return;
    }
    check(mine);
    const rows = subscriptions.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.subscription = s.id;
      cell(tr, "Subscriber", "subscriber", s.subscriber, false);
      cell(tr, "TTL (s)", "ttl", String(s.ttl), true);
      cell(tr, "Age (s)", "age", String(s.age), true);
      cell(tr, "Confirmed", "confirmed", s.confirmed ? "yes" : "no", false);
      return tr;
    });
    $("no-subscriptions").textContent = "No subscriptions.";
    fill($("subscriptions"), $("no-subscriptions"), rows);
  }

  // ----- actions: each one API request (redrive a few), confirmed first when it removes anything

  function confirmAction(text, typedName) {
    const dialog = $("confirm");
    $("confirm-text").textContent = text;
    $("confirm-name").value = "";
    $("confirm-name").hidden = !typedName;
    $("confirm-name-label").hidden = !typedName;
    $("confirm-yes").disabled = Boolean(typedName);
    $("confirm-name").oninput = () => { $("confirm-yes").disabled = $("confirm-name").value !== typedName; };
    return new Promise((resolve) => {
      dialog.onclose = () => resolve(dialog.returnValue === "yes");
      dialog.returnValue = "";
      dialog.showModal();
    });
  }

  async function act(description, work) {
    const r = route();
    showMessage("");
    let done;
    try {
      done = await work(r);
    } catch (error) {
      if (error instanceof AccessRefused) {
        logOut(error.message);
        return;
      }
      showMessage(error.message);
      return;
    }
    // The view is shown afresh at once, with the notice (a deleted queue's page gives way to its project's, by its hash).
    carriedNotice = done || description + ": done.";
    if (route().view === r.view) {
      show(route());
    }
  }

  async function saveMetadata(event) {
    event.preventDefault();
    let wanted;
    try {
      wanted = JSON.parse($("metadata-text").value);
    } catch (error) {
      showMessage("The metadata is not JSON: " + error.message);
      return;
    }
    if (wanted === null || typeof wanted !== "object" || Array.isArray(wanted)) {
      showMessage("The metadata must be a JSON object.");
      return;
    }
    const before = JSON.parse($("metadata").dataset.text || "{}");
    // A JSON patch of the differences (v2 contract 6.4), so keys changed meanwhile by others are kept.
    const patch = [];
    for (const k of Object.keys(before)) {
      if (!(k in wanted) && !k.startsWith("_")) {
        patch.push({ op: "remove", path: "/metadata/" + pointer(k) });
      }
    }
    for (const [k, v] of Object.entries(wanted)) {
      if (JSON.stringify(before[k]) !== JSON.stringify(v)) {
        // "add" sets a member whether or not it is stored: the reserved keys' defaults shown are not.
        patch.push({ op: "add", path: "/metadata/" + pointer(k), value: v });
      }
    }
    if (patch.length === 0) {
      editingMetadata = false;
      $("metadata-form").hidden = true;
      $("metadata-edit").hidden = false;
      showNotice("Nothing changed.");
      return;
    }
    await act("Metadata saved", async (r) => {
      await api("PATCH", q(r.queue), r.project, patch, "application/openstack-messaging-v2.0-json-patch");
      editingMetadata = false;
      return "Metadata saved.";
    });
  }

  const pointer = (k) => k.replace(/~/g, "~0").replace(/\//g, "~1");

  async function redrive() {
    const r = route();
    const free = Number($("dead-letter").dataset.free || "0");
    if (!await confirmAction(`Move the ${free} free messages of the dead-letter queue back to the end of ${r.queue}? Their claim counts start again from 0.`)) {
      return;
    }
    await act("Redrive", async () => {
      let moved = 0;
      // One request moves at most redriveLimit; stop at what was there when asked, as posts may keep coming.
      while (moved < free) {
        const body = await api("POST", q(r.queue) + "/redrive", r.project, { limit: Math.min(redriveLimit, free - moved) });
        if (!body || !(body.moved > 0)) {
          break;
        }
        moved += body.moved;
      }
      return `Moved ${moved} message${moved === 1 ? "" : "s"} back to ${r.queue}.`;
    });
  }

  async function purge() {
    const r = route();
    if (!await confirmAction(`Delete every message of ${r.queue}, claimed or not? Its metadata and subscriptions stay.`)) {
      return;
    }
    await act("Purge", async () => {
      await api("POST", q(r.queue) + "/purge", r.project, { resource_types: ["messages"] });
      return `Purged the messages of ${r.queue}.`;
    });
  }

  async function deleteQueue() {
    const r = route();
    if (!await confirmAction(`Delete the queue ${r.queue} with its metadata, messages and claims? Its subscriptions stay, as the API keeps them.`, r.queue)) {
      return;
    }
    await act("Delete", async () => {
      await api("DELETE", q(r.queue), r.project);
      location.hash = href.project(r.project);
      return `Deleted the queue ${r.queue}.`;
    });
  }

  // ----- the host's rates, from its Prometheus metrics

  async function refreshRates(mine) {
    const response = await fetch(metricsPath, { cache: "no-store" });
    check(mine);
    if (!response.ok) {
      $("rates").hidden = true;
      return;
    }
    const text = await response.text();
    check(mine);
    const sample = { at: performance.now(), posted: counter(text, "marconi_messages_posted_total"),
      claimed: counter(text, "marconi_messages_claimed_total"), deleted: counter(text, "marconi_messages_deleted_total") };
    if (rates.last) {
      const seconds = (sample.at - rates.last.at) / 1000;
      const point = {};
      for (const series of ["posted", "claimed", "deleted"]) {
        point[series] = seconds > 0 ? Math.max(0, sample[series] - rates.last[series]) / seconds : 0;
        $("rate-numbers").querySelector(`[data-rate='${series}']`).textContent = point[series].toFixed(1);
      }
      rates.points.push(point);
      if (rates.points.length > chartPoints) {
        rates.points.shift();
      }
      draw();
    }
    rates.last = sample;
  }

  // The sum of a counter's series: "name{labels} value" lines (text exposition format).
  function counter(text, name) {
    let sum = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        const value = Number(line.slice(line.lastIndexOf(" ") + 1));
        if (Number.isFinite(value)) {
          sum += value;
        }
      }
    }
    return sum;
  }

  // Three lines told apart by dash pattern as well as colour, so the chart reads without colour.
  function draw() {
    const canvas = $("chart");
    const ctx = canvas.getContext("2d");
    const w = canvas.width;
    const h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const top = Math.max(1, ...rates.points.flatMap((p) => [p.posted, p.claimed, p.deleted]));
    ctx.fillStyle = "#555";
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText(top.toFixed(1) + "/s", 4, 12);
    const styles = { posted: ["#1f5fbf", []], claimed: ["#b35900", [6, 4]], deleted: ["#2e7d32", [2, 3]] };
    for (const [series, [colour, dash]] of Object.entries(styles)) {
      ctx.strokeStyle = colour;
      ctx.setLineDash(dash);
      ctx.lineWidth = 2;
      ctx.beginPath();
      // The newest point at the right edge; a lone point is drawn as a short level line.
      const step = w / (chartPoints - 1);
      const points = rates.points.length === 1 ? [rates.points[0], rates.points[0]] : rates.points;
      points.forEach((p, i) => {
        const x = w - step * (points.length - 1 - i);
        const y = h - 2 - ((h - 18) * p[series]) / top;
        if (i === 0) {
          ctx.moveTo(x, y);
        } else {
          ctx.lineTo(x, y);
        }
      });
      ctx.stroke();
    }
  }

  // ----- messages, log-in and log-out

  function showMessage(text) {
    $("message").textContent = text;
    $("message").hidden = !text;
  }

  function showNotice(text) {
    $("notice").textContent = text;
    $("notice").hidden = !text;
  }

  function logOut(reason) {
    generation++;
    clearTimeout(timer);
    store.removeItem("marconi.key");
    store.removeItem("marconi.session");
    for (const id of ["projects-view", "queues-view", "queue-view", "rates", "logout", "who", "crumbs"]) {
      $(id).hidden = true;
    }
    for (const id of ["projects", "queues", "messages", "claims", "subscriptions"]) {
      $(id).querySelector("tbody").replaceChildren();
    }
    rates.last = null;
    rates.points = [];
    $("login").hidden = false;
    $("project").value = store.getItem("marconi.project") || "";
    showNotice("");
    showMessage(reason || "");
    $("key").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      const project = $("project").value.trim();
      store.setItem("marconi.project", project);
      store.setItem("marconi.key", $("key").value);
      store.setItem("marconi.session", "1");
      $("key").value = "";
      const target = project ? href.project(project) : href.projects();
      if (location.hash === target) {
        show(route());
      } else {
        location.hash = target;
      }
    });
    $("logout").addEventListener("click", () => logOut(""));
    $("metadata-edit").addEventListener("click", () => {
      editingMetadata = true;
      $("metadata-text").value = JSON.stringify(JSON.parse($("metadata").dataset.text || "{}"), null, 2);
      $("metadata-form").hidden = false;
      $("metadata-edit").hidden = true;
      $("metadata-text").focus();
    });
    $("metadata-cancel").addEventListener("click", () => {
      editingMetadata = false;
      $("metadata-form").hidden = true;
      $("metadata-edit").hidden = false;
    });
    $("metadata-form").addEventListener("submit", saveMetadata);
    $("redrive").addEventListener("click", redrive);
    $("purge").addEventListener("click", purge);
    $("delete").addEventListener("click", deleteQueue);
    $("messages-next").addEventListener("click", () => {
      if (peek.next !== null) {
        peek.markers.push(peek.next);
        refreshPage();
      }
    });
    $("messages-first").addEventListener("click", () => {
      peek.markers = [null];
      refreshPage();
    });
    window.addEventListener("hashchange", () => show(route()));
    show(route());
  });

  // A new page of messages now, rather than at the next refresh.
  function refreshPage() {
    const r = route();
    const mine = generation;
    refreshMessages(mine, r.project, r.queue).catch((error) => {
      if (!(error instanceof Stale) && mine === generation) {
        showMessage(error.message);
      }
    });
  }
})();
