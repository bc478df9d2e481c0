// The queue web view. It calls the control API with the token the user
// enters, kept in sessionStorage for the tab's lifetime.
"use strict";

const FIELDS = ["transportid", "localip", "remotemx", "remoteip", "recipientdomain", "senderdomain", "jobid", "subqueue", "state"];
const state = { token: sessionStorage.getItem("halonsh-token") || "", by: ["recipientdomain"] };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

function setStatus(text, isError) {
  const s = document.getElementById("status");
  s.textContent = text;
  s.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const resp = await fetch(path, {
    method,
    headers: { "Authorization": "Bearer " + state.token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const e = data.error || {};
    throw new Error(`${resp.status}: ${e.message || resp.statusText}${e.field ? " (" + e.field + ")" : ""}`);
  }
  return data;
}

function renderFieldChoices() {
  const box = document.getElementById("group-fields");
  for (const f of FIELDS) {
    const input = el("input", { type: "checkbox", value: f, id: "by-" + f });
    input.checked = state.by.includes(f);
    input.addEventListener("change", () => {
      state.by = FIELDS.filter((name) => document.getElementById("by-" + name).checked);
      loadShape();
    });
    box.append(el("label", {}, input, " " + f));
  }
}

async function loadShape() {
  const shape = await api("GET", "/api/v1/queue/shape?by=" + encodeURIComponent(state.by.join(",")));

  const chart = document.getElementById("chart");
  chart.replaceChildren();
  const peak = Math.max(1, ...shape.totals);
  shape.buckets.forEach((label, i) => {
    const bar = el("div", { class: "bar", "data-bucket": label, title: `${shape.totals[i]} queued, ${label} minutes old`, onclick: () => loadMessages(label, {}) },
      el("span", { class: "value" }, shape.totals[i]),
      el("div", { class: "fill", style: `height:${Math.round((shape.totals[i] / peak) * 130)}px` }),
      el("span", { class: "label" }, label));
    chart.append(bar);
  });

  const table = document.getElementById("shape");
  const head = el("tr", {}, ...shape.by.map((f) => el("th", {}, f)), el("th", {}, "total"), ...shape.buckets.map((b) => el("th", {}, b + " min")));
  const rows = shape.groups.map((g) => el("tr", {},
    ...shape.by.map((f) => el("td", {}, g.key[f])),
    el("td", { class: "count" }, g.total),
    ...g.counts.map((n, i) => n > 0
      ? el("td", { class: "count clickable", "data-bucket": shape.buckets[i], onclick: () => loadMessages(shape.buckets[i], g.key) }, n)
      : el("td", { class: "count" }, 0))));
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  setStatus(`${shape.total} queued at ${new Date(shape.time).toLocaleTimeString()}`);
}

async function loadMessages(bucket, key) {
  const params = new URLSearchParams({ age: bucket, limit: "200" });
  for (const [f, v] of Object.entries(key)) params.append("where", `${f}=${v}`);
  const list = await api("GET", "/api/v1/queue/messages?" + params);

  const where = Object.entries(key).map(([f, v]) => `${f}=${v}`).join(", ");
  document.getElementById("messages-title").textContent = `Messages ${bucket} minutes old${where ? " where " + where : ""} (${list.total})`;
  const head = el("tr", {}, ...["id", "age", "state", "retry", "sender", "recipient", "last result", ""].map((h) => el("th", {}, h)));
  const rows = list.messages.map((m) => el("tr", { class: "message" },
    el("td", {}, m.id), el("td", {}, Math.round(m.age) + " s"), el("td", {}, m.state), el("td", { class: "count" }, m.retry),
    el("td", {}, m.sender), el("td", { class: "recipient" }, m.recipient), el("td", {}, m.last_result || ""),
    el("td", {}, el("button", { onclick: () => queueAction("retry", m.id) }, "retry"), " ",
      el("button", { onclick: () => queueAction("hold", m.id) }, "hold"))));
  document.getElementById("messages").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  document.getElementById("messages-section").hidden = false;
}

async function queueAction(action, id) {
  try {
    await api("POST", "/api/v1/queue/actions", { action, ids: [id] });
    setStatus(`${action}: ${id}`);
    loadShape();
  } catch (err) {
    setStatus(err.message, true);
  }
}

async function loadPolicies() {
  const data = await api("GET", "/api/v1/policies");
  const rows = [];
  for (const p of data.policies) {
    for (const c of p.conditions) {
      if (!c.id) continue;
      const limits = [c.limits.concurrency && "concurrency " + c.limits.concurrency, c.limits.rate && "rate " + c.limits.rate].filter(Boolean).join(", ");
      rows.push(el("tr", {}, el("td", {}, p.id), el("td", {}, JSON.stringify(c.condition || {})), el("td", {}, limits),
        el("td", {}, (c.limits.tags || []).join(" ")), el("td", {}, Math.round(c.ttl) + " s"),
        el("td", {}, el("button", { onclick: () => removeDynamic("policies", c.id) }, "remove"))));
    }
  }
  document.getElementById("policies").replaceChildren(
    el("thead", {}, el("tr", {}, ...["policy", "condition", "limits", "tags", "ttl", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows));

  const sus = await api("GET", "/api/v1/suspends");
  document.getElementById("suspends").replaceChildren(
    el("thead", {}, el("tr", {}, ...["id", "fields", "tag", "ttl", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...sus.suspends.map((s) => el("tr", {}, el("td", {}, s.id), el("td", {}, JSON.stringify(s.fields)), el("td", {}, s.tag || ""),
      el("td", {}, s.dynamic ? Math.round(s.ttl) + " s" : "configured"),
      el("td", {}, s.dynamic ? el("button", { onclick: () => removeDynamic("suspends", s.id) }, "remove") : "")))));
}

async function removeDynamic(kind, id) {
  try {
    await api("DELETE", `/api/v1/${kind}/${encodeURIComponent(id)}`);
    loadPolicies();
  } catch (err) {
    setStatus(err.message, true);
  }
}

function matcherMap(text) {
  const out = {};
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split("=");
    (out[k] = out[k] || []).push(v);
  }
  return out;
}

async function addPolicy(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const policy = {};
  if (f.get("concurrency")) policy.concurrency = Number(f.get("concurrency"));
  if (f.get("rate")) policy.rate = f.get("rate");
  if (f.get("tag")) policy.tag = f.get("tag");
  try {
    await api("POST", "/api/v1/policies", {
      fields: f.get("fields").split(",").map((s) => s.trim()),
      condition: matcherMap(f.get("condition") || ""),
      policy, ttl: Number(f.get("ttl")),
    });
    ev.target.reset();
    loadPolicies();
  } catch (err) {
    setStatus(err.message, true);
  }
}

async function addSuspend(ev) {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await api("POST", "/api/v1/suspends", { fields: matcherMap(f.get("fields")), ttl: Number(f.get("ttl")), tag: f.get("tag") || "" });
    ev.target.reset();
    loadPolicies();
  } catch (err) {
    setStatus(err.message, true);
  }
}

async function refresh() {
  if (!state.token) {
    setStatus("enter the API token");
    return;
  }
  try {
    await loadShape();
    await loadPolicies();
  } catch (err) {
    setStatus(err.message, true);
  }
}

document.getElementById("token").value = state.token;
document.getElementById("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = document.getElementById("token").value.trim();
  sessionStorage.setItem("halonsh-token", state.token);
  refresh();
});
document.getElementById("policy-form").addEventListener("submit", addPolicy);
document.getElementById("suspend-form").addEventListener("submit", addSuspend);
renderFieldChoices();
refresh();
setInterval(() => { if (state.token && document.visibilityState === "visible") refresh(); }, 15000);
