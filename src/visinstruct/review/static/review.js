// The review page: actions on instructions, saved as JSON without reloading the page.
// Model output is untrusted: it is only ever written with textContent or .value, never as HTML.
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
  let mark = performance.now(); // time spent is counted from the last save (or page load)

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

  function focusCard(index) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(cards.length - 1, index));
    cards.forEach((c, i) => c.classList.toggle("current", i === current));
    cards[current].focus({ preventScroll: true });
    cards[current].scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function showError(card, message) {
    const box = part(card, "error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // Draw the stored instruction back into its card.
  function render(card, ins) {
    card.dataset.kind = ins.kind;
    card.dataset.language = ins.language;
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
  }

  async function send(card, body) {
    showError(card, "");
    body.seconds = (performance.now() - mark) / 1000;
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
    if (!response.ok) {
      showError(card, out.error || `HTTP ${response.status}`);
      say("Not saved", true);
      return false;
    }
    mark = performance.now();
    render(card, out.instruction);
    closePanel(card);
    say(`Saved: ${out.instruction.status}`);
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
    panel.submit = () =>
      send(card, {
        action: "edit",
        question: question.value,
        choices: options.map((o) => o.value),
        answer: answer.value,
      });
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
    panel.submit = () => send(card, { action: "reject", reason: reason.value });
    confirm.onclick = panel.submit;
    cancel.onclick = () => { closePanel(card); card.focus(); };
    reason.focus();
  }

  async function act(card, action) {
    if (action === "edit") return openEditor(card);
    if (action === "reject") return openReject(card);
    if (await send(card, { action })) focusCard(cards.indexOf(card) + 1);
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
      j: () => focusCard(current + 1), ArrowDown: () => focusCard(current + 1),
      k: () => focusCard(current - 1), ArrowUp: () => focusCard(current - 1),
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
  focusCard(0);
})();
