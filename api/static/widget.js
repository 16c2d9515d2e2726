/*!
 * CST assistant chat widget (cstassist).
 *
 * Embed with:
 *   <script src="https://HOST/widget.js" data-api="https://HOST" defer></script>
 *
 * Optional attributes on the script tag:
 *   data-api    Base URL of the cstassist API. Empty or missing: the origin the
 *               script itself was loaded from.
 *   data-token  A short-lived member token, sent as "Authorization: Bearer ...".
 *
 * Host page API:
 *   window.CSTAssist.setToken(token)  set (or clear, with null) the member token
 *   window.CSTAssist.open() / close() / toggle()
 *   window.CSTAssist.reset()          start a new conversation
 *
 * Everything is rendered inside an open Shadow DOM. All text that comes from the
 * API (answers, passages, titles, sections) is inserted with textContent /
 * createTextNode only; no data ever goes through innerHTML.
 */
(function () {
  "use strict";

  if (window.CSTAssist && window.CSTAssist.__cstAssistLoaded) {
    return; // already embedded on this page
  }

  // Must be captured synchronously while the script is executing.
  var currentScript = document.currentScript;
  var preset = window.CSTAssist && typeof window.CSTAssist === "object" ? window.CSTAssist : null;

  var TITLE = "CST governance assistant";
  var MAX_QUESTION_LENGTH = 2000;
  var SVG_NS = "http://www.w3.org/2000/svg";

  // ---------------------------------------------------------------- config

  function resolveApiBase() {
    var attr = currentScript ? currentScript.getAttribute("data-api") : null;
    var base = null;
    if (attr && attr.trim()) {
      try {
        base = new URL(attr.trim(), document.baseURI).href;
      } catch (e) {
        base = null;
      }
    }
    if (!base && currentScript && currentScript.src) {
      try {
        base = new URL(currentScript.src, document.baseURI).origin;
      } catch (e) {
        base = null;
      }
    }
    if (!base || base === "null") {
      base = window.location.origin;
    }
    return base.replace(/\/+$/, "");
  }

  var state = {
    api: resolveApiBase(),
    token: null,
    conversationId: null,
    session: null,
    busy: false,
    open: false,
  };

  var initialToken =
    (currentScript && currentScript.getAttribute("data-token")) ||
    (preset && typeof preset.token === "string" ? preset.token : null);
  if (initialToken && initialToken.trim()) {
    state.token = initialToken.trim();
  }

  var uid = 0;
  function nextId(prefix) {
    uid += 1;
    return "cst-" + prefix + "-" + uid;
  }

  // ---------------------------------------------------------------- helpers

  /** createElement with attributes; children may be nodes or strings (text). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "text") {
          node.textContent = String(value);
        } else if (key === "className") {
          node.className = value;
        } else if (value === true) {
          node.setAttribute(key, "");
        } else {
          node.setAttribute(key, String(value));
        }
      });
    }
    appendChildren(node, children);
    return node;
  }

  function appendChildren(node, children) {
    if (children === null || children === undefined) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
  }

  // Static icons, built with createElementNS (no innerHTML anywhere).
  var ICONS = {
    chat: ["M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z"],
    chevronDown: ["M6 9l6 6 6-6"],
    close: ["M6 6l12 12", "M18 6L6 18"],
    send: ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"],
    thumbUp: [
      "M7 11v9H4.5A1.5 1.5 0 0 1 3 18.5v-6A1.5 1.5 0 0 1 4.5 11z",
      "M7 11l4-7.5c1.4 0 2.5 1.1 2.5 2.5v3h5.1a2 2 0 0 1 2 2.3l-1.1 7A2 2 0 0 1 17.5 20H7",
    ],
    thumbDown: [
      "M17 13V4h2.5A1.5 1.5 0 0 1 21 5.5v6a1.5 1.5 0 0 1-1.5 1.5z",
      "M17 13l-4 7.5c-1.4 0-2.5-1.1-2.5-2.5v-3H5.4a2 2 0 0 1-2-2.3l1.1-7A2 2 0 0 1 6.5 4H17",
    ],
    info: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M12 11v5", "M12 7.5v.5"],
    plus: ["M12 5v14", "M5 12h14"],
    external: ["M14 4h6v6", "M20 4l-9 9", "M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"],
  };

  function icon(name, size) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size || 20));
    svg.setAttribute("height", String(size || 20));
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    ICONS[name].forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  function safeHttpUrl(raw) {
    if (typeof raw !== "string" || !raw.trim()) return null;
    try {
      var url = new URL(raw.trim(), state.api + "/");
      if (url.protocol === "http:" || url.protocol === "https:") return url.href;
    } catch (e) {
      /* ignore */
    }
    return null;
  }

  function formatDate(value) {
    if (typeof value !== "string" || !value) return null;
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
    if (!m) return value;
    try {
      var d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
      if (isNaN(d.getTime())) return value;
      return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
    } catch (e) {
      return value;
    }
  }

  function authHeaders(extra) {
    var headers = extra || {};
    if (state.token) headers["Authorization"] = "Bearer " + state.token;
    // an anonymous visitor's server-issued session: their conversation and answers belong to it
    else if (state.session) headers["X-CSTAssist-Session"] = state.session;
    return headers;
  }

  function errorMessageFrom(body, fallback) {
    if (body && typeof body === "object") {
      var err = body.error;
      if (err && typeof err === "object" && typeof err.message === "string" && err.message) return err.message;
      if (typeof err === "string" && err) return err;
      if (typeof body.message === "string" && body.message) return body.message;
      if (typeof body.detail === "string" && body.detail) return body.detail;
    }
    return fallback;
  }

  function statusFallback(status) {
    if (status === 401 || status === 403) return "You need to be signed in as a CST member to use the assistant.";
    if (status === 429) return "Too many questions in a short time.";
    if (status >= 500) return "The assistant is unavailable right now. Please try again shortly.";
    return "Something went wrong (HTTP " + status + "). Please try again.";
  }

  function retryAfterSeconds(response) {
    var raw = response.headers.get("Retry-After");
    if (!raw) return null;
    var secs = parseInt(raw, 10);
    if (!isNaN(secs) && String(secs) === raw.trim()) return Math.max(0, secs);
    var when = Date.parse(raw);
    if (!isNaN(when)) return Math.max(0, Math.ceil((when - Date.now()) / 1000));
    return null;
  }

  // ---------------------------------------------------------------- styles

  var CSS = [
    ":host { all: initial !important; }",
    ".root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; font-size: 15px; line-height: 1.45; color: #1f2937; font-weight: 400; letter-spacing: normal; text-align: left; -webkit-font-smoothing: antialiased; }",
    ".root *, .root *::before, .root *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    "button, input, textarea { font: inherit; color: inherit; margin: 0; }",
    "button { cursor: pointer; -webkit-tap-highlight-color: transparent; }",
    "p { margin: 0; }",
    ".sr-only { position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }",
    ":focus { outline: none; }",
    ":focus-visible { outline: 3px solid #0f7c8c; outline-offset: 2px; }",

    /* launcher */
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: inline-flex; align-items: center; gap: 8px; height: 52px; padding: 0 20px 0 16px; border: 0; border-radius: 26px; background: #1b2a4a; color: #fff; font-size: 15px; font-weight: 600; box-shadow: 0 6px 20px rgba(27, 42, 74, 0.35), 0 1px 3px rgba(0, 0, 0, 0.2); transition: background-color 0.15s ease, transform 0.15s ease; }",
    ".launcher:hover { background: #26395f; }",
    ".launcher:active { transform: translateY(1px); }",
    ".launcher:focus-visible { outline: 3px solid #0f7c8c; outline-offset: 3px; box-shadow: 0 0 0 6px #fff, 0 6px 20px rgba(27, 42, 74, 0.35); }",
    ".launcher .icon-open { display: none; }",
    ".root.is-open .launcher .icon-open { display: block; }",
    ".root.is-open .launcher .icon-closed { display: none; }",

    /* panel */
    ".panel { position: fixed; right: 20px; bottom: 84px; z-index: 2147483001; width: 400px; max-width: calc(100vw - 40px); height: 640px; max-height: calc(100vh - 108px); display: flex; flex-direction: column; background: #fff; border: 1px solid rgba(27, 42, 74, 0.14); border-radius: 14px; box-shadow: 0 16px 48px rgba(15, 23, 42, 0.26), 0 2px 8px rgba(15, 23, 42, 0.12); overflow: hidden; animation: cst-pop 0.16s ease-out; }",
    "@keyframes cst-pop { from { opacity: 0; transform: translateY(8px) scale(0.98); } to { opacity: 1; transform: none; } }",

    ".header { display: flex; align-items: center; gap: 8px; padding: 12px 10px 12px 16px; background: #1b2a4a; color: #fff; border-bottom: 3px solid #0f7c8c; flex: none; }",
    ".badge { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 34px; height: 34px; border-radius: 9px; background: #0f7c8c; color: #fff; font-size: 12px; font-weight: 800; letter-spacing: 0.02em; }",
    ".heading { flex: 1; min-width: 0; }",
    ".title { margin: 0; font-size: 16px; font-weight: 700; line-height: 1.25; color: #fff; }",
    ".subtitle { margin: 1px 0 0; font-size: 12.5px; color: #c6d1e4; line-height: 1.3; }",
    ".icon-btn { flex: none; display: inline-flex; align-items: center; justify-content: center; width: 36px; height: 36px; padding: 0; border: 0; border-radius: 8px; background: transparent; color: #fff; }",
    ".icon-btn:hover { background: rgba(255, 255, 255, 0.14); }",
    ".header :focus-visible { outline: 3px solid #fff; outline-offset: 1px; }",

    ".log { flex: 1 1 auto; min-height: 0; overflow-y: auto; overscroll-behavior: contain; padding: 16px 14px; background: #f4f6f9; display: flex; flex-direction: column; gap: 14px; }",
    ".intro { background: #fff; border: 1px solid #dde3ec; border-radius: 12px; padding: 12px 14px; color: #374151; font-size: 14px; }",
    ".intro strong { color: #1b2a4a; }",
    ".intro p + p { margin-top: 6px; }",
    ".suggestion-list { list-style: none; margin: 6px 0 0; padding: 0; display: grid; gap: 6px; }",
    ".suggestion { all: unset; box-sizing: border-box; width: 100%; cursor: pointer; font-size: 13px; line-height: 1.4; color: #1b2a4a; background: #f3f8fd; border: 1px solid #b9d3ee; border-radius: 8px; padding: 6px 10px; }",
    ".suggestion:hover { background: #e6f0fa; }",
    ".suggestion:focus-visible { outline: 3px solid #ffbf47; outline-offset: 1px; }",

    /* messages */
    ".msg { display: flex; flex-direction: column; max-width: 100%; }",
    ".msg-user { align-items: flex-end; }",
    ".msg-user .bubble { max-width: 86%; padding: 9px 13px; background: #1b2a4a; color: #fff; border-radius: 14px 14px 4px 14px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg-assistant { align-items: stretch; }",
    ".msg-assistant .bubble { padding: 11px 14px; background: #fff; color: #1f2937; border: 1px solid #dde3ec; border-radius: 14px 14px 14px 4px; }",
    ".answer { white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".points { margin: 6px 0 0; padding-left: 20px; } .points li { margin: 3px 0; overflow-wrap: anywhere; } .points .marker { color: #4a5568; }",
    ".msg-assistant[data-abstained='true'] .bubble { background: #fffaf0; border-color: #ecd39b; border-left: 4px solid #b7791f; }",
    ".msg-assistant[data-outcome='related'] .bubble { background: #f3f8fd; border-color: #b9d3ee; border-left: 4px solid #2b6cb0; }",
    ".msg-assistant[data-outcome='related'] .abstain-label { color: #1e4e8c; }",
    ".superseded { color: #9a3412; font-weight: 600; }",
    ".abstain-label { display: flex; align-items: center; gap: 6px; margin: 0 0 6px; font-size: 12px; font-weight: 700; letter-spacing: 0.03em; text-transform: uppercase; color: #7a4d00; }",
    ".msg-assistant.is-error .bubble { background: #fdf3f3; border-color: #efb8b8; border-left: 4px solid #b42318; color: #7a1a12; }",
    ".notice { margin-top: 8px; font-size: 13px; color: #7a1a12; }",

    /* typing indicator */
    ".typing { display: inline-flex; gap: 4px; padding: 4px 0; }",
    ".typing span { width: 7px; height: 7px; border-radius: 50%; background: #8a99ad; animation: cst-blink 1.2s infinite ease-in-out both; }",
    ".typing span:nth-child(2) { animation-delay: 0.15s; }",
    ".typing span:nth-child(3) { animation-delay: 0.3s; }",
    "@keyframes cst-blink { 0%, 80%, 100% { opacity: 0.25; transform: scale(0.85); } 40% { opacity: 1; transform: none; } }",
    ".msg-assistant[data-state='streaming'] .answer:not(:empty)::after { content: ''; display: inline-block; width: 7px; height: 1em; margin-left: 2px; vertical-align: text-bottom; background: #0f7c8c; animation: cst-caret 1s steps(2, start) infinite; }",
    "@keyframes cst-caret { to { visibility: hidden; } }",

    /* citations */
    ".sources { margin-top: 10px; padding-top: 10px; border-top: 1px solid #e6eaf0; }",
    ".sources-heading { margin: 0 0 6px; font-size: 11.5px; font-weight: 700; letter-spacing: 0.05em; text-transform: uppercase; color: #5b6472; }",
    ".chips { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }",
    ".chips li { max-width: 100%; min-width: 0; }",
    ".chip { display: inline-flex; align-items: center; gap: 5px; max-width: 100%; padding: 4px 10px; border: 1px solid #b5dbe1; border-radius: 999px; background: #eaf6f8; color: #0a5964; font-size: 13px; line-height: 1.35; }",
    ".chip:hover { background: #d8eef2; }",
    ".chip[aria-expanded='true'] { background: #0f7c8c; border-color: #0f7c8c; color: #fff; }",
    ".chip-n { font-weight: 700; flex: none; }",
    ".chip-title { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }",
    ".detail { margin-top: 8px; padding: 10px 12px; background: #f8fafc; border: 1px solid #dde3ec; border-left: 3px solid #0f7c8c; border-radius: 8px; font-size: 13.5px; }",
    ".detail-title { margin: 0; font-weight: 700; color: #1b2a4a; overflow-wrap: anywhere; }",
    ".detail-meta { margin: 2px 0 8px; color: #5b6472; font-size: 12.5px; overflow-wrap: anywhere; }",
    ".detail-text { margin: 0; padding: 2px 0 2px 10px; border-left: 2px solid #d5dce6; color: #374151; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 220px; overflow-y: auto; }",
    ".detail-link { display: inline-flex; align-items: center; gap: 4px; margin-top: 8px; color: #0a5964; font-weight: 600; text-decoration: underline; text-underline-offset: 2px; }",
    ".detail-link:hover { color: #1b2a4a; }",

    /* feedback */
    ".feedback { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-top: 8px; padding-left: 2px; font-size: 13px; color: #5b6472; }",
    ".feedback-q { margin-right: 2px; }",
    ".fb-btn { display: inline-flex; align-items: center; justify-content: center; width: 32px; height: 32px; padding: 0; border: 1px solid #cfd7e2; border-radius: 8px; background: #fff; color: #4b5563; }",
    ".fb-btn:hover { border-color: #0f7c8c; color: #0f7c8c; }",
    ".fb-btn[aria-pressed='true'] { background: #0f7c8c; border-color: #0f7c8c; color: #fff; }",
    ".fb-form { flex-basis: 100%; display: flex; gap: 6px; margin-top: 2px; }",
    ".fb-form input { flex: 1 1 auto; min-width: 0; height: 34px; padding: 0 10px; border: 1px solid #c3ccd8; border-radius: 8px; background: #fff; font-size: 14px; }",
    ".fb-form input:focus-visible { outline: 3px solid rgba(15, 124, 140, 0.45); outline-offset: 0; border-color: #0f7c8c; }",
    ".fb-send { flex: none; height: 34px; padding: 0 12px; border: 1px solid #0f7c8c; border-radius: 8px; background: #fff; color: #0a5964; font-size: 13.5px; font-weight: 600; }",
    ".fb-send:hover { background: #eaf6f8; }",
    ".fb-send:disabled { opacity: 0.6; cursor: default; }",
    ".fb-status { flex-basis: 100%; margin: 0; font-weight: 600; color: #0a5964; }",
    ".fb-status.is-error { color: #b42318; }",

    /* composer */
    ".composer { flex: none; display: flex; align-items: flex-end; gap: 8px; padding: 12px 12px 8px; background: #fff; border-top: 1px solid #e3e8ef; }",
    ".composer textarea { flex: 1 1 auto; min-width: 0; min-height: 44px; max-height: 140px; padding: 10px 12px; border: 1px solid #b9c3d0; border-radius: 10px; background: #fff; color: #1f2937; font-size: 15px; line-height: 1.4; resize: none; overflow-y: auto; }",
    ".composer textarea::placeholder { color: #6b7686; }",
    ".composer textarea:focus-visible, .composer textarea:focus { outline: 3px solid rgba(15, 124, 140, 0.45); outline-offset: 0; border-color: #0f7c8c; }",
    ".send { flex: none; display: inline-flex; align-items: center; gap: 6px; height: 44px; padding: 0 16px; border: 0; border-radius: 10px; background: #0f7c8c; color: #fff; font-weight: 600; }",
    ".send:hover { background: #0c6876; }",
    ".send:disabled { background: #9db0bb; cursor: not-allowed; }",
    ".footnote { flex: none; margin: 0; padding: 0 14px 10px; background: #fff; font-size: 11.5px; line-height: 1.35; color: #5f6b7a; }",

    /* small screens: near full-screen panel */
    "@media (max-width: 480px) {",
    "  .panel { top: 0; right: 0; bottom: 0; left: 0; width: 100%; max-width: none; height: auto; max-height: none; border: 0; border-radius: 0; }",
    "  .root.is-open .launcher { display: none; }",
    "  .launcher { right: 16px; bottom: 16px; }",
    "  .composer textarea { font-size: 16px; }",
    "  .header { padding-left: 12px; }",
    "  .badge { display: none; }",
    "}",
    "@media (prefers-reduced-motion: reduce) {",
    "  .panel, .typing span, .launcher { animation: none !important; transition: none !important; }",
    "  .msg-assistant[data-state='streaming'] .answer:not(:empty)::after { animation: none; }",
    "}",
    "@media (forced-colors: active) {",
    "  .launcher, .send, .chip, .fb-btn, .bubble, .panel { border: 1px solid CanvasText; }",
    "}",
  ].join("\n");

  // ---------------------------------------------------------------- DOM

  var host, shadow, root, launcher, panel, log, form, input, sendBtn, newChatBtn;

  function build() {
    host = document.createElement("cst-assist-widget");
    host.setAttribute("data-cst-assist", "");
    shadow = host.attachShadow({ mode: "open" });

    var style = document.createElement("style");
    style.textContent = CSS;
    shadow.appendChild(style);

    root = el("div", { className: "root" });

    var panelId = nextId("panel");
    var titleId = nextId("title");
    var inputId = nextId("input");
    var hintId = nextId("hint");

    launcher = el(
      "button",
      {
        type: "button",
        className: "launcher",
        "data-testid": "launcher",
        "aria-label": "Ask CST assistant",
        "aria-expanded": "false",
        "aria-controls": panelId,
      },
      [icon("chat", 22), icon("chevronDown", 22), el("span", { text: "Ask CST" })]
    );
    launcher.firstChild.setAttribute("class", "icon-closed");
    launcher.childNodes[1].setAttribute("class", "icon-open");

    var closeBtn = el("button", { type: "button", className: "icon-btn", "data-testid": "close", "aria-label": "Close assistant", title: "Close" }, [
      icon("close", 20),
    ]);
    newChatBtn = el(
      "button",
      { type: "button", className: "icon-btn", "data-testid": "new-conversation", "aria-label": "Start a new conversation", title: "New conversation", hidden: true },
      [icon("plus", 20)]
    );

    var header = el("div", { className: "header" }, [
      el("span", { className: "badge", "aria-hidden": "true", text: "CST" }),
      el("div", { className: "heading" }, [
        el("h2", { className: "title", id: titleId, text: TITLE }),
        el("p", { className: "subtitle", text: "Answers from CST guidance" }),
      ]),
      newChatBtn,
      closeBtn,
    ]);

    log = el("div", { className: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation", "data-testid": "log", tabindex: "-1" }, [
      el("div", { className: "intro" }, [
        el("p", null, [el("strong", { text: "Hello!" }), " Ask a question about school trust governance, leadership or policy."]),
        el("p", { text: "Answers are drawn from CST guidance and list the sources they use." }),
        suggestions(),
      ]),
    ]);

    input = el("textarea", {
      id: inputId,
      rows: "1",
      "data-testid": "input",
      placeholder: "Type your question\u2026",
      maxlength: String(MAX_QUESTION_LENGTH),
      "aria-describedby": hintId,
      autocomplete: "off",
    });
    sendBtn = el("button", { type: "submit", className: "send", "data-testid": "send" }, [icon("send", 18), el("span", { text: "Send" })]);

    form = el("form", { className: "composer", novalidate: true }, [
      el("label", { className: "sr-only", for: inputId, text: "Your question" }),
      input,
      sendBtn,
    ]);

    var footnote = el("p", {
      className: "footnote",
      id: hintId,
      text: "Enter to send, Shift+Enter for a new line. Answers are drawn from CST guidance by software: check the sources before acting.",
    });

    panel = el(
      "div",
      {
        className: "panel",
        id: panelId,
        role: "dialog",
        "aria-modal": "false",
        "aria-labelledby": titleId,
        "aria-label": TITLE,
        "data-testid": "panel",
        hidden: true,
      },
      [header, log, form, footnote]
    );

    root.appendChild(panel);
    root.appendChild(launcher);
    shadow.appendChild(root);
    document.body.appendChild(host);

    // events
    launcher.addEventListener("click", function () {
      if (state.open) close();
      else open();
    });
    closeBtn.addEventListener("click", function () {
      close();
    });
    newChatBtn.addEventListener("click", function () {
      reset();
      input.focus();
    });
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape" || e.key === "Esc") {
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", autoGrow);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      submit();
    });
  }

  // Questions offered in the empty conversation: the host page's data-suggestions (a JSON list of strings),
  // else three the bundled CST papers answer. Each is a button that asks it.
  var DEFAULT_SUGGESTIONS = [
    "How should our board go about reviewing the chief executive\u2019s performance?",
    "How many domains of an effective trust does CST propose?",
    "When was the Confederation of School Trusts launched?",
  ];
  function suggestions() {
    var list = DEFAULT_SUGGESTIONS;
    var attr = currentScript ? currentScript.getAttribute("data-suggestions") : null;
    if (attr) {
      try {
        var given = JSON.parse(attr);
        if (Array.isArray(given)) list = given.filter(function (q) { return typeof q === "string" && q.trim(); }).slice(0, 5);
      } catch (e) {
        list = DEFAULT_SUGGESTIONS;
      }
    }
    if (!list.length) return null;
    return el("div", { className: "suggestions", "data-testid": "suggestions" }, [
      el("p", { text: "Try asking:" }),
      el("ul", { className: "suggestion-list" }, list.map(function (q) {
        var b = el("button", { type: "button", className: "suggestion", "data-testid": "suggestion", text: q });
        b.addEventListener("click", function () {
          if (!state.busy) ask(q.slice(0, MAX_QUESTION_LENGTH));
        });
        return el("li", null, [b]);
      })),
    ]);
  }

  function autoGrow() {
    if (!input.value) {
      input.style.height = "";
      return;
    }
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
  }

  function open() {
    if (!panel) return;
    state.open = true;
    panel.hidden = false;
    root.classList.add("is-open");
    launcher.setAttribute("aria-expanded", "true");
    scrollToBottom(true);
    // focus after the panel is rendered
    input.focus();
  }

  function close() {
    if (!panel) return;
    var wasOpen = state.open;
    state.open = false;
    panel.hidden = true;
    root.classList.remove("is-open");
    launcher.setAttribute("aria-expanded", "false");
    if (wasOpen) launcher.focus();
  }

  function reset() {
    state.conversationId = null;
    if (!log) return;
    var intro = log.querySelector(".intro");
    while (log.lastChild && log.lastChild !== intro) log.removeChild(log.lastChild);
    if (newChatBtn) newChatBtn.hidden = true;
  }

  function isNearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  function scrollToBottom(force) {
    if (!log) return;
    if (force || isNearBottom()) log.scrollTop = log.scrollHeight;
  }

  function setBusy(busy) {
    state.busy = busy;
    sendBtn.disabled = busy;
    if (busy) log.setAttribute("aria-busy", "true");
    else log.removeAttribute("aria-busy");
  }

  // ---------------------------------------------------------------- messages

  function addUserMessage(text) {
    var msg = el("div", { className: "msg msg-user", "data-testid": "message-user" }, [
      el("span", { className: "sr-only", text: "You said:" }),
      el("p", { className: "bubble", text: text }),
    ]);
    log.appendChild(msg);
    scrollToBottom(true);
    return msg;
  }

  function AssistantMessage() {
    this.text = document.createTextNode("");
    this.answer = el("p", { className: "answer", "data-testid": "answer-text" }, [this.text]);
    this.typing = el("span", { className: "typing" }, [
      el("span", { "aria-hidden": "true" }),
      el("span", { "aria-hidden": "true" }),
      el("span", { "aria-hidden": "true" }),
      el("span", { className: "sr-only", text: "The assistant is writing an answer" }),
    ]);
    this.bubble = el("div", { className: "bubble" }, [this.answer, this.typing]);
    this.node = el("div", { className: "msg msg-assistant", "data-testid": "message-assistant", "data-state": "streaming" }, [
      el("span", { className: "sr-only", text: "Assistant:" }),
      this.bubble,
    ]);
    this.received = false;
    this.finished = false;
    log.appendChild(this.node);
    scrollToBottom(true);
  }

  AssistantMessage.prototype.append = function (text) {
    if (this.finished || typeof text !== "string" || !text) return;
    if (!this.received) {
      this.received = true;
      this.typing.remove();
    }
    var stick = isNearBottom();
    this.text.appendData(text);
    if (stick) log.scrollTop = log.scrollHeight;
  };

  AssistantMessage.prototype.finish = function (data) {
    if (this.finished) return;
    this.finished = true;
    this.typing.remove();
    var stick = isNearBottom();
    var answer = typeof data.answer === "string" ? data.answer : this.text.data;
    this.answer.textContent = answer;
    // a composed answer (broad question): the lead as prose, its key points as a list
    var points = Array.isArray(data.points) ? data.points.filter(function (p) { return p && typeof p.text === "string"; }) : [];
    if (data.outcome === "answer" && points.length) {
      var cut = answer.indexOf("\n- ");
      this.answer.textContent = cut >= 0 ? answer.slice(0, cut) : answer;
      this.bubble.insertBefore(renderPoints(points), this.answer.nextSibling);
    }

    // outcome: answer | related (no direct answer; the closest guidance) | none (nothing relevant)
    var outcome = data.outcome === "answer" || data.outcome === "related" || data.outcome === "none"
      ? data.outcome
      : (data.abstained === true ? "none" : "answer");
    this.node.setAttribute("data-outcome", outcome);
    if (outcome !== "answer") {
      this.node.setAttribute("data-abstained", "true");
      var label = outcome === "related" ? "No direct answer — closest CST guidance" : "Not covered by CST guidance";
      this.bubble.insertBefore(
        el("p", { className: "abstain-label", "data-testid": "outcome-label" }, [icon("info", 16), el("span", { text: label })]),
        this.bubble.firstChild
      );
    }

    var citations = Array.isArray(data.citations) ? data.citations.filter(function (c) { return c && typeof c === "object"; }) : [];
    if (citations.length) this.bubble.appendChild(renderCitations(citations, outcome === "related" ? "Closest passages" : "Sources"));

    var answerId = data.answer_id;
    if (typeof answerId === "string" && answerId) {
      this.node.setAttribute("data-answer-id", answerId);
      this.node.appendChild(renderFeedback(answerId));
    }
    this.node.setAttribute("data-state", "done");
    if (stick) log.scrollTop = log.scrollHeight;
  };

  AssistantMessage.prototype.fail = function (message) {
    if (this.finished) return;
    this.finished = true;
    this.typing.remove();
    this.node.classList.add("is-error");
    if (this.received && this.text.data) {
      // keep the partial answer, flag that it is incomplete
      this.bubble.appendChild(el("p", { className: "notice", role: "alert", text: message }));
    } else {
      this.answer.textContent = message;
      this.answer.setAttribute("role", "alert");
    }
    this.node.setAttribute("data-state", "error");
    scrollToBottom(false);
  };

  function renderPoints(points) {
    var list = el("ul", { className: "points", "data-testid": "answer-points" });
    points.forEach(function (p) {
      var parts = [];
      if (typeof p.label === "string" && p.label) parts.push(el("strong", { text: p.label + ": " }));
      parts.push(el("span", { text: p.text }));
      if (typeof p.n === "number") parts.push(el("span", { className: "marker", text: " [" + p.n + "]" }));
      list.appendChild(el("li", { "data-testid": "answer-point" }, parts));
    });
    return list;
  }

  function renderCitations(citations, heading) {
    var list = el("ul", { className: "chips" });
    var details = el("div", { className: "details" });
    var pairs = [];

    citations.forEach(function (c, index) {
      var n = typeof c.n === "number" || typeof c.n === "string" ? String(c.n) : String(index + 1);
      var title = typeof c.title === "string" && c.title.trim() ? c.title.trim() : "Untitled document";
      var detailId = nextId("cite");

      var chip = el(
        "button",
        {
          type: "button",
          className: "chip",
          "data-testid": "citation-chip",
          "data-n": n,
          "aria-expanded": "false",
          "aria-controls": detailId,
          title: title,
        },
        [el("span", { className: "chip-n", text: "[" + n + "]" }), " ", el("span", { className: "chip-title", text: title })]
      );

      var metaParts = [];
      if (typeof c.section === "string" && c.section.trim()) metaParts.push("Section: " + c.section.trim());
      if (c.page !== null && c.page !== undefined && c.page !== "") metaParts.push("Page " + String(c.page));
      var published = formatDate(c.published);
      if (published) metaParts.push("Published " + published);

      var children = [el("p", { className: "detail-title", text: "[" + n + "] " + title })];
      if (metaParts.length) children.push(el("p", { className: "detail-meta", text: metaParts.join(" \u00b7 ") }));
      else children.push(el("div", { className: "detail-meta" }));
      var newer = typeof c.superseded_by_title === "string" && c.superseded_by_title.trim()
        ? c.superseded_by_title.trim()
        : (typeof c.superseded_by === "string" ? c.superseded_by.trim() : "");
      if (newer) {
        children.push(el("p", { className: "superseded", "data-testid": "superseded-flag", text: "Superseded by " + newer }));
        chip.classList.add("is-superseded");
        chip.setAttribute("title", title + " (superseded by " + newer + ")");
      }
      if (typeof c.text === "string" && c.text.trim()) {
        children.push(el("blockquote", { className: "detail-text", text: c.text.trim() }));
      }
      var href = safeHttpUrl(c.url);
      if (href) {
        var link = el("a", { className: "detail-link", href: href, target: "_blank", rel: "noopener noreferrer" }, [
          el("span", { text: "Open document" }),
          icon("external", 14),
          el("span", { className: "sr-only", text: " (opens in a new tab)" }),
        ]);
        children.push(link);
      }

      var detail = el("div", { className: "detail", id: detailId, "data-testid": "citation-detail", "data-n": n, hidden: true }, children);

      pairs.push({ chip: chip, detail: detail });
      list.appendChild(el("li", null, [chip]));
      details.appendChild(detail);
    });

    pairs.forEach(function (pair) {
      pair.chip.addEventListener("click", function () {
        var willOpen = pair.chip.getAttribute("aria-expanded") !== "true";
        pairs.forEach(function (other) {
          other.chip.setAttribute("aria-expanded", "false");
          other.detail.hidden = true;
        });
        if (willOpen) {
          pair.chip.setAttribute("aria-expanded", "true");
          pair.detail.hidden = false;
          // keep the opened passage in view
          try {
            pair.detail.scrollIntoView({ block: "nearest" });
          } catch (e) {
            /* ignore */
          }
        }
      });
    });

    return el("div", { className: "sources" }, [el("p", { className: "sources-heading", text: heading || "Sources" }), list, details]);
  }

  function renderFeedback(answerId) {
    var up = el("button", { type: "button", className: "fb-btn", "data-testid": "feedback-up", "aria-label": "Helpful", "aria-pressed": "false", title: "Helpful" }, [
      icon("thumbUp", 16),
    ]);
    var down = el(
      "button",
      { type: "button", className: "fb-btn", "data-testid": "feedback-down", "aria-label": "Not helpful", "aria-pressed": "false", title: "Not helpful" },
      [icon("thumbDown", 16)]
    );
    var commentId = nextId("fb");
    var comment = el("input", {
      type: "text",
      id: commentId,
      "data-testid": "feedback-comment",
      maxlength: "1000",
      placeholder: "Tell us more (optional)",
    });
    var sendFb = el("button", { type: "button", className: "fb-send", "data-testid": "feedback-send", text: "Send feedback" });
    var fbForm = el("div", { className: "fb-form", hidden: true }, [
      el("label", { className: "sr-only", for: commentId, text: "Comment (optional)" }),
      comment,
      sendFb,
    ]);
    var status = el("p", { className: "fb-status", role: "status" });
    var thanks = el("span", { "data-testid": "feedback-thanks", text: "Thanks for your feedback" });

    var wrap = el("div", { className: "feedback" }, [el("span", { className: "feedback-q", text: "Was this helpful?" }), up, down, fbForm, status]);
    var rating = null;

    function showStatus(ok, message) {
      status.textContent = "";
      status.classList.toggle("is-error", !ok);
      if (ok) status.appendChild(thanks);
      else status.textContent = message;
    }

    function rate(value) {
      rating = value;
      up.setAttribute("aria-pressed", value === "up" ? "true" : "false");
      down.setAttribute("aria-pressed", value === "down" ? "true" : "false");
      var wasHidden = fbForm.hidden;
      fbForm.hidden = false;
      if (wasHidden) {
        try {
          fbForm.scrollIntoView({ block: "nearest" });
        } catch (e) {
          /* ignore */
        }
      }
      sendFeedback(answerId, value, null).then(
        function () {
          showStatus(true);
        },
        function (err) {
          showStatus(false, err.message);
        }
      );
    }

    up.addEventListener("click", function () {
      rate("up");
    });
    down.addEventListener("click", function () {
      rate("down");
    });

    function submitComment() {
      if (!rating) return;
      var text = comment.value.trim();
      sendFb.disabled = true;
      sendFeedback(answerId, rating, text || null).then(
        function () {
          fbForm.hidden = true;
          showStatus(true);
          status.setAttribute("tabindex", "-1");
          status.focus();
        },
        function (err) {
          sendFb.disabled = false;
          showStatus(false, err.message);
        }
      );
    }
    sendFb.addEventListener("click", submitComment);
    comment.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.isComposing) {
        e.preventDefault();
        submitComment();
      }
    });
    return wrap;
  }

  // ---------------------------------------------------------------- network

  function sendFeedback(answerId, rating, comment) {
    return fetch(state.api + "/v1/feedback", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", Accept: "application/json" }),
      body: JSON.stringify({ answer_id: answerId, rating: rating, comment: comment }),
      cache: "no-store",
    }).then(
      function (response) {
        if (response.ok) return true;
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (body) {
            throw new Error(errorMessageFrom(body, "Sorry, your feedback could not be sent."));
          });
      },
      function () {
        throw new Error("Sorry, your feedback could not be sent. Check your connection.");
      }
    );
  }

  /**
   * Incremental Server-Sent Events parser. Calls onEvent(name, parsedData)
   * for each complete event. Data is JSON; unparsable data is passed as a string.
   */
  function SSEParser(onEvent) {
    this.buffer = "";
    this.onEvent = onEvent;
    this.reset();
  }
  SSEParser.prototype.reset = function () {
    this.eventName = "";
    this.dataLines = [];
  };
  SSEParser.prototype.push = function (chunk) {
    this.buffer += chunk;
    var match;
    var re = /\r\n|\r|\n/;
    // process complete lines only
    while ((match = re.exec(this.buffer))) {
      // a lone "\r" at the very end may be the first half of "\r\n"
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      var line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  };
  SSEParser.prototype.line = function (line) {
    if (line === "") {
      this.dispatch();
      return;
    }
    if (line.charAt(0) === ":") return; // comment / keep-alive
    var colon = line.indexOf(":");
    var field = colon === -1 ? line : line.slice(0, colon);
    var value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charAt(0) === " ") value = value.slice(1);
    if (field === "event") this.eventName = value;
    else if (field === "data") this.dataLines.push(value);
    // "id" and "retry" are not used
  };
  SSEParser.prototype.dispatch = function () {
    if (!this.dataLines.length) {
      this.reset();
      return;
    }
    var name = this.eventName || "message";
    var raw = this.dataLines.join("\n");
    this.reset();
    var data;
    try {
      data = JSON.parse(raw);
    } catch (e) {
      data = raw;
    }
    this.onEvent(name, data);
  };
  SSEParser.prototype.end = function () {
    if (this.buffer) {
      this.line(this.buffer);
      this.buffer = "";
    }
    this.dispatch();
  };

  function handleEvent(msg, name, data) {
    var obj = data && typeof data === "object" ? data : {};
    if (name === "meta") {
      if (typeof obj.conversation_id === "string" && obj.conversation_id) setConversation(obj.conversation_id);
      if (typeof obj.answer_id === "string" && obj.answer_id) msg.node.setAttribute("data-answer-id", obj.answer_id);
    } else if (name === "token") {
      msg.append(typeof data === "string" ? data : obj.text);
    } else if (name === "done") {
      if (typeof obj.conversation_id === "string" && obj.conversation_id) setConversation(obj.conversation_id);
      msg.finish(obj);
    } else if (name === "error") {
      msg.fail(errorMessageFrom(obj, "Sorry, something went wrong while answering. Please try again."));
    }
  }

  function setConversation(id) {
    state.conversationId = id;
    if (newChatBtn) newChatBtn.hidden = false;
  }

  function submit() {
    if (state.busy) return;
    var question = input.value.trim();
    if (!question) {
      input.focus();
      return;
    }
    if (question.length > MAX_QUESTION_LENGTH) question = question.slice(0, MAX_QUESTION_LENGTH);
    input.value = "";
    autoGrow();
    ask(question);
  }

  function ask(question) {
    addUserMessage(question);
    var msg = new AssistantMessage();
    setBusy(true);

    var body = { question: question, stream: true };
    if (state.conversationId) body.conversation_id = state.conversationId;

    fetch(state.api + "/v1/ask", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(body),
      cache: "no-store",
    })
      .then(
        function (response) {
          var session = response.headers.get("X-CSTAssist-Session");
          if (session) state.session = session;
          if (!response.ok) return handleHttpError(msg, response);
          var type = (response.headers.get("Content-Type") || "").toLowerCase();
          if (type.indexOf("application/json") !== -1) {
            // server answered without streaming: treat the body as the final answer
            return response.json().then(function (data) {
              handleEvent(msg, "done", data);
            });
          }
          return readStream(msg, response);
        },
        function () {
          msg.fail("Couldn\u2019t reach the assistant. Check your connection and try again.");
        }
      )
      .catch(function () {
        msg.fail("The connection was interrupted before the answer finished. Please try again.");
      })
      .then(function () {
        if (!msg.finished) {
          msg.fail("The connection was interrupted before the answer finished. Please try again.");
        }
        setBusy(false);
      });
  }

  function handleHttpError(msg, response) {
    var retry = response.status === 429 ? retryAfterSeconds(response) : null;
    if (response.status === 401 && typeof window.CustomEvent === "function") {
      window.dispatchEvent(new CustomEvent("cstassist:unauthorized"));
    }
    return response
      .json()
      .catch(function () {
        return null;
      })
      .then(function (body) {
        var message = errorMessageFrom(body, statusFallback(response.status));
        if (response.status === 429) {
          if (retry !== null) {
            message += " Please try again in " + retry + (retry === 1 ? " second." : " seconds.");
          } else {
            message += " Please wait a moment and try again.";
          }
        }
        msg.fail(message);
      });
  }

  function readStream(msg, response) {
    var parser = new SSEParser(function (name, data) {
      handleEvent(msg, name, data);
    });
    if (!response.body || !response.body.getReader) {
      // very old browsers: no streaming, read it all
      return response.text().then(function (text) {
        parser.push(text);
        parser.end();
      });
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder("utf-8");
    function pump() {
      return reader.read().then(function (result) {
        if (result.done) {
          parser.push(decoder.decode());
          parser.end();
          return;
        }
        parser.push(decoder.decode(result.value, { stream: true }));
        if (msg.finished) {
          // done or error received: stop reading
          reader.cancel().catch(function () {});
          return;
        }
        return pump();
      });
    }
    return pump();
  }

  // ---------------------------------------------------------------- public API

  var api = {
    __cstAssistLoaded: true,
    setToken: function (token) {
      state.token = typeof token === "string" && token.trim() ? token.trim() : null;
    },
    open: function () {
      whenReady(open);
    },
    close: function () {
      whenReady(close);
    },
    toggle: function () {
      whenReady(function () {
        if (state.open) close();
        else open();
      });
    },
    reset: function () {
      whenReady(reset);
    },
    ask: function (question) {
      whenReady(function () {
        if (typeof question !== "string" || !question.trim() || state.busy) return;
        open();
        ask(question.trim().slice(0, MAX_QUESTION_LENGTH));
      });
    },
  };
  window.CSTAssist = api;

  var ready = false;
  var queue = [];
  function whenReady(fn) {
    if (ready) fn();
    else queue.push(fn);
  }

  function init() {
    if (ready) return;
    build();
    ready = true;
    queue.splice(0).forEach(function (fn) {
      fn();
    });
  }

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
