// The review page: actions on instructions, saved as JSON without reloading the page.
// Model output is untrusted: it is only ever written with textContent or .value, never as HTML.
// Every save sends the revision the card shows; the server refuses a stale one (409) with the
// newer version, which is drawn in its place. The server measures the time spent, not us.
(() => {
  "use strict";
  const items = document.getElementById("items");
  if (!items) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const cards = Array.from(items.querySelectorAll(".card"));
  const toast = document.getElementById("toast");
  const help = document.getElementById("help");
  const LETTERS = "ABCD";
  const YES_NO = { en: ["Yes", "No"], zh: ["是", "否"] };
  let current = 0;
  const undoable = []; // cards whose latest action here can be undone, newest last
  const progress = document.getElementById("progress");

  // -- small helpers ----------------------------------------------------------------------
  const el = (tag, props = {}, children = []) => {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  };
  const part = (card, role) => card.querySelector(`[data-role="${role}"]`);
  const typing = (target) => target.closest && target.closest("input, textarea, select");
  const say = (text, bad = false) => {
    toast.textContent = text;
    toast.className = bad ? "toast show bad" : "toast show";
    clearTimeout(say.timer);
    say.timer = setTimeout(() => (toast.className = "toast"), 1800);
  };

  const inQueue = (card) => card.dataset.inQueue !== "no";
  const undecided = (card) => card.classList.contains("status-unreviewed");

  // The next card of the queue after ``from`` (before it, for step -1) that is still undecided;
  // -1 when none is.
  function nextOpen(from, step = 1) {
    for (let i = from + step; i >= 0 && i < cards.length; i += step) {
      if (inQueue(cards[i]) && undecided(cards[i])) return i;
    }
    return -1;
  }

  function firstOpen() {
    const open = nextOpen(-1);
    if (open >= 0) return open;
    const any = cards.findIndex(inQueue);
    return any >= 0 ? any : 0;
  }

  function walk(step) {
    const to = nextOpen(current, step);
    if (to >= 0) focusCard(to);
    else say(step > 0 ? "No undecided item of this queue below" : "No undecided item above");
  }

  // After a decision: on to the next undecided item of the queue, wherever it is on the page.
  function advance(card) {
    const index = cards.indexOf(card);
    let to = nextOpen(index);
    if (to < 0) to = nextOpen(-1);
    if (to >= 0 && to !== index) focusCard(to);
    else if (to < 0) say("Every item of this queue here is decided: n for the next image");
  }

  function countProgress(before, after) {
    if (!progress || (before === "unreviewed") === (after === "unreviewed")) return;
    const step = after === "unreviewed" ? -1 : 1;
    const decided = progress.querySelector('[data-role="decided"]');
    const remaining = progress.querySelector('[data-role="remaining"]');
    const bar = progress.querySelector('[data-role="bar"]');
    const num = (node) => Number(node.textContent.replace(/[^0-9]/g, ""));
    decided.textContent = (num(decided) + step).toLocaleString("en");
    remaining.textContent = (num(remaining) - step).toLocaleString("en");
    bar.value = Number(bar.value) + step;
  }

  function focusCard(index) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach((c, i) => c.classList.toggle("current", i === current));
    cards[current].focus({ preventScroll: true });
    cards[current].scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function showError(card, message, field = null) {
    const box = part(card, "error");
    box.textContent = message || "";
    box.hidden = !message;
    card.querySelectorAll(".refused").forEach((node) => {
      node.classList.remove("refused");
      node.removeAttribute("aria-invalid");
    });
    if (!field) return;
    const selector = field === "choices" ? "[name^=choice-]" : `[name="${field}"]`;
    const controls = Array.from(part(card, "panel").querySelectorAll(selector));
    controls.forEach((node) => {
      node.classList.add("refused");
      node.setAttribute("aria-invalid", "true");
    });
    if (controls.length) controls[0].focus();
  }

  // Draw the stored instruction back into its card.
  function render(card, ins) {
    card.dataset.kind = ins.kind;
    card.dataset.language = ins.language;
    card.dataset.revision = ins.revision;
    card.className = card.className.replace(/status-\w+/, `status-${ins.status}`);
    part(card, "status").textContent = ins.status;
    part(card, "question").textContent = ins.question;
    part(card, "answer").textContent = ins.answer;
    const list = part(card, "choices");
    list.replaceChildren(
      ...ins.choices.map((text, i) =>
        el("li", { textContent: text, className: i === ins.answer_index ? "correct" : "" }),
      ),
    );
    list.hidden = ins.choices.length === 0;
    const others = part(card, "others");
    others.replaceChildren(
      "Other reviewers: ",
      ...ins.others.map((o, i) => el("span", { textContent: (i ? ", " : "") + `${o.reviewer}: ${o.status}` })),
    );
    others.hidden = ins.others.length === 0;
  }

  // Save one action; resolves to true when it is stored (now or already), false if not.
  async function send(card, body) {
    showError(card, "");
    body.revision = card.dataset.revision;
    const before = part(card, "status").textContent;
    let response;
    try {
      response = await fetch(`/api/instructions/${encodeURIComponent(card.dataset.id)}`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
    } catch (err) {
      showError(card, "Could not reach the server; nothing was saved.");
      return false;
    }
    const out = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
    if (response.status === 401) {
      window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      return false;
    }
    if (response.status === 409 && out.instruction) {
      render(card, out.instruction); // the newer version, in place of the one we acted on
      countProgress(before, out.instruction.status);
      closePanel(card);
      showError(card, out.error);
      say("Not saved: someone changed this item", true);
      return false;
    }
    if (!response.ok) {
      showError(card, out.error || `HTTP ${response.status}`, out.field);
      say("Not saved", true);
      return false;
    }
    render(card, out.instruction);
    countProgress(before, out.instruction.status);
    closePanel(card);
    if (out.saved && body.action !== "undo") {
      const at = undoable.indexOf(card);
      if (at >= 0) undoable.splice(at, 1);
      undoable.push(card);
    }
    say(out.saved ? `Saved: ${out.instruction.status}` : `Already ${out.instruction.status}`);
    return true;
  }

  // -- panels: the inline editor and the reject reason --------------------------------------
  function closePanel(card) {
    const panel = part(card, "panel");
    panel.replaceChildren();
    panel.hidden = true;
    card.classList.remove("editing");
  }

  function field(label, control) {
    return el("label", { className: "field" }, [el("span", { textContent: label }), control]);
  }

  function openEditor(card) {
    const panel = part(card, "panel");
    const kind = card.dataset.kind;
    const language = card.dataset.language;
    const question = el("textarea", { name: "question", rows: 2, value: part(card, "question").textContent });
    const children = [field("Question", question)];
    const answerText = part(card, "answer").textContent;
    let answer;
    let options = [];
    if (kind === "multiple_choice") {
      const texts = Array.from(part(card, "choices").children, (li) => li.textContent);
      options = LETTERS.split("").map((letter, i) =>
        el("input", { name: `choice-${letter}`, value: texts[i] || "", type: "text" }),
      );
      options.forEach((input, i) => children.push(field(`Option ${LETTERS[i]}`, input)));
      answer = el("select", { name: "answer" });
      for (const letter of LETTERS) answer.append(el("option", { value: letter, textContent: letter }));
      answer.value = answerText;
    } else if (kind === "judgement") {
      answer = el("select", { name: "answer" });
      for (const word of YES_NO[language] || YES_NO.en) answer.append(el("option", { value: word, textContent: word }));
      answer.value = answerText;
    } else {
      answer = el("textarea", { name: "answer", rows: kind === "long_vqa" ? 4 : 1, value: answerText });
    }
    children.push(field("Answer", answer));
    const save = el("button", { type: "button", className: "primary", textContent: "Save (Ctrl+Enter)" });
    const cancel = el("button", { type: "button", textContent: "Cancel (Esc)" });
    children.push(el("div", { className: "row" }, [save, cancel]));
    panel.replaceChildren(...children);
    panel.hidden = false;
    card.classList.add("editing");
    panel.dataset.mode = "edit";
    panel.submit = async () => {
      const saved = await send(card, {
        action: "edit",
        question: question.value,
        choices: options.map((o) => o.value),
        answer: answer.value,
      });
      if (saved) advance(card);
    };
    save.onclick = panel.submit;
    cancel.onclick = () => { closePanel(card); card.focus(); };
    question.focus();
  }

  function openReject(card) {
    const panel = part(card, "panel");
    const reason = el("input", { name: "reason", type: "text", placeholder: "Why is it rejected?" });
    reason.setAttribute("list", "reasons");
    const confirm = el("button", { type: "button", className: "danger", textContent: "Reject (Enter)" });
    const cancel = el("button", { type: "button", textContent: "Cancel (Esc)" });
    panel.replaceChildren(field("Reason", reason), el("div", { className: "row" }, [confirm, cancel]));
    panel.hidden = false;
    panel.dataset.mode = "reject";
    panel.submit = async () => {
      if (await send(card, { action: "reject", reason: reason.value })) advance(card);
    };
    confirm.onclick = panel.submit;
    cancel.onclick = () => { closePanel(card); card.focus(); };
    reason.focus();
  }

  async function act(card, action) {
    if (action === "edit") return openEditor(card);
    if (action === "reject") return openReject(card);
    if (await send(card, { action })) advance(card);
  }

  async function undo() {
    const card = undoable.pop();
    if (!card) return say("Nothing to undo on this page");
    focusCard(cards.indexOf(card));
    if (await send(card, { action: "undo" })) say(`Undone: ${part(card, "status").textContent}`);
  }

  // -- wiring -------------------------------------------------------------------------------
  cards.forEach((card, index) => {
    card.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-act]");
      if (!typing(event.target)) current = index;
      cards.forEach((c, i) => c.classList.toggle("current", i === current));
      if (button) act(card, button.dataset.act);
    });
  });

  const go = (id) => {
    const link = document.getElementById(id);
    if (link) window.location.href = link.href;
  };

  document.addEventListener("keydown", (event) => {
    const card = cards[current];
    if (typing(event.target)) {
      const panel = event.target.closest("[data-role=panel]");
      if (!panel) return;
      const owner = panel.closest(".card");
      if (event.key === "Escape") {
        event.preventDefault();
        closePanel(owner);
        owner.focus();
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey || panel.dataset.mode === "reject")) {
        event.preventDefault();
        panel.submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const keys = {
      j: () => walk(1), ArrowDown: () => walk(1),
      k: () => walk(-1), ArrowUp: () => walk(-1),
      u: () => undo(),
      a: () => card && act(card, "accept"), e: () => card && act(card, "edit"),
      r: () => card && act(card, "reject"), f: () => card && act(card, "flag"),
      n: () => go("next-image"), ArrowRight: () => go("next-image"),
      p: () => go("prev-image"), ArrowLeft: () => go("prev-image"),
      "?": () => (help.hidden = !help.hidden),
      Escape: () => (help.hidden = true),
    };
    const handler = keys[event.key];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });
  document.getElementById("help-toggle").addEventListener("click", () => (help.hidden = !help.hidden));
  focusCard(firstOpen());
})();
