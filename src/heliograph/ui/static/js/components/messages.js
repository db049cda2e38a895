// Chat-style rendering of logged bodies: OpenAI chat and Responses, Anthropic Messages and
// Gemini, normalised to messages of parts (text, image, tool call, tool result, thinking).
import { h } from "../dom.js";

function text(value) {
  return { type: "text", text: String(value ?? "") };
}

function safeImage(url) {
  const src = String(url || "");
  return /^(https?:|data:image\/)/i.test(src) ? { type: "image", src } : text(`[image: ${src.slice(0, 80)}]`);
}

function pretty(value) {
  if (typeof value === "string") {
    try { return JSON.stringify(JSON.parse(value), null, 2); } catch { return value; }
  }
  return JSON.stringify(value, null, 2);
}

function openaiParts(content) {
  if (content === null || content === undefined) return [];
  if (typeof content === "string") return [text(content)];
  if (!Array.isArray(content)) return [{ type: "other", json: content }];
  return content.map((part) => {
    if (typeof part === "string") return text(part);
    if (part.type === "text" || part.type === "input_text" || part.type === "output_text") return text(part.text);
    if (part.type === "image_url") return safeImage(part.image_url?.url ?? part.image_url);
    if (part.type === "input_image") return safeImage(part.image_url);
    if (part.type === "refusal") return text(part.refusal);
    return anthropicPart(part);
  });
}

function anthropicPart(block) {
  if (!block || typeof block !== "object") return text(block);
  switch (block.type) {
    case "text": return text(block.text);
    case "thinking": return { type: "thinking", text: block.thinking || "" };
    case "image": {
      const source = block.source || {};
      if (source.type === "base64") return safeImage(`data:${source.media_type};base64,${source.data}`);
      return safeImage(source.url);
    }
    case "tool_use": return { type: "tool_call", id: block.id, name: block.name, args: pretty(block.input) };
    case "tool_result": {
      const content = Array.isArray(block.content)
        ? block.content.map((b) => (b.type === "text" ? b.text : JSON.stringify(b))).join("\n")
        : block.content;
      return { type: "tool_result", id: block.tool_use_id, content: String(content ?? ""), error: block.is_error };
    }
    default: return { type: "other", json: block };
  }
}

function openaiMessage(message) {
  const parts = message.role === "assistant" || message.role === "user" || message.role === "system" || message.role === "developer"
    ? openaiParts(message.content)
    : [];
  if (message.role === "tool") {
    parts.push({ type: "tool_result", id: message.tool_call_id, content: typeof message.content === "string" ? message.content : pretty(message.content) });
  }
  for (const call of message.tool_calls || []) {
    parts.push({ type: "tool_call", id: call.id, name: call.function?.name, args: pretty(call.function?.arguments ?? "") });
  }
  if (message.function_call) {
    parts.push({ type: "tool_call", name: message.function_call.name, args: pretty(message.function_call.arguments ?? "") });
  }
  return { role: message.role || "assistant", parts };
}

function geminiContent(content, fallbackRole) {
  const parts = (content?.parts || []).map((part) => {
    if ("text" in part) return part.thought ? { type: "thinking", text: part.text } : text(part.text);
    if (part.inlineData) return safeImage(`data:${part.inlineData.mimeType};base64,${part.inlineData.data}`);
    if (part.functionCall) return { type: "tool_call", name: part.functionCall.name, args: pretty(part.functionCall.args) };
    if (part.functionResponse) return { type: "tool_result", id: part.functionResponse.name, content: pretty(part.functionResponse.response) };
    return { type: "other", json: part };
  });
  const role = content?.role === "model" ? "assistant" : content?.role || fallbackRole;
  return { role, parts };
}

function responsesItems(items) {
  if (typeof items === "string") return [{ role: "user", parts: [text(items)] }];
  return (items || []).map((item) => {
    if (item.type === "function_call") return { role: "assistant", parts: [{ type: "tool_call", id: item.call_id, name: item.name, args: pretty(item.arguments) }] };
    if (item.type === "function_call_output") return { role: "tool", parts: [{ type: "tool_result", id: item.call_id, content: String(item.output ?? "") }] };
    if (item.type === "reasoning") return { role: "assistant", parts: [{ type: "thinking", text: (item.summary || []).map((s) => s.text).join("\n") }] };
    return { role: item.role || "assistant", parts: openaiParts(item.content) };
  });
}

/** The request's input messages, or null when the body is not a chat we know. */
export function requestMessages(body) {
  if (!body || typeof body !== "object") return null;
  const out = [];
  if (Array.isArray(body.messages)) {
    if (body.system) {
      const system = typeof body.system === "string" ? [text(body.system)] : body.system.map(anthropicPart);
      out.push({ role: "system", parts: system });
    }
    for (const message of body.messages) {
      if (typeof message.content !== "string" && Array.isArray(message.content) && message.content.some((b) => b && ["tool_use", "tool_result", "image", "thinking"].includes(b.type))) {
        out.push({ role: message.role, parts: message.content.map(anthropicPart) });
      } else {
        out.push(openaiMessage(message));
      }
    }
    return out;
  }
  if (Array.isArray(body.contents)) {
    if (body.systemInstruction) out.push(geminiContent(body.systemInstruction, "system"));
    body.contents.forEach((content) => out.push(geminiContent(content, "user")));
    return out;
  }
  if (body.input !== undefined && (typeof body.input === "string" || Array.isArray(body.input)) && !("encoding_format" in body)) {
    if (body.instructions) out.push({ role: "system", parts: [text(body.instructions)] });
    return out.concat(responsesItems(body.input));
  }
  if (typeof body.prompt === "string") return [{ role: "user", parts: [text(body.prompt)] }];
  return null;
}

/** The response's output messages, or null when the body is not one we know. */
export function responseMessages(body) {
  if (!body || typeof body !== "object") return typeof body === "string" && body ? [{ role: "assistant", parts: [text(body)] }] : null;
  if (body.heliograph_error || body.error) {
    const error = body.heliograph_error || body.error;
    return [{ role: "error", parts: [text(typeof error === "string" ? error : error.message || JSON.stringify(error))] }];
  }
  if (Array.isArray(body.choices)) {
    return body.choices.map((choice) =>
      choice.message ? openaiMessage(choice.message) : { role: "assistant", parts: [text(choice.text ?? "")] });
  }
  if (Array.isArray(body.content) && (body.type === "message" || body.role === "assistant")) {
    return [{ role: "assistant", parts: body.content.map(anthropicPart) }];
  }
  if (Array.isArray(body.candidates)) return body.candidates.map((c) => geminiContent(c.content, "assistant"));
  if (Array.isArray(body.output)) return responsesItems(body.output);
  return null;
}

/** A one-line preview of a body for tables. */
export function previewText(messages, last = true) {
  if (!messages || !messages.length) return "";
  const ordered = last ? [...messages].reverse() : messages;
  for (const message of ordered) {
    for (const part of message.parts) {
      if (part.type === "text" && part.text.trim()) return part.text;
      if (part.type === "tool_call") return `${part.name}(…)`;
    }
  }
  return "";
}

function image(src) {
  return h("img", { src, alt: "Image in the conversation", loading: "lazy", referrerpolicy: "no-referrer" });
}

/** An image on another host: fetching it tells that host who opened the request, so only on click. */
function remoteImage(src) {
  const box = h("div", { class: "image-placeholder", "data-testid": "image-placeholder" },
    h("span", { class: "muted" }, "Image on another host, not loaded:"), h("code", {}, src),
    h("button", { type: "button", class: "ghost", onclick: () => box.replaceWith(image(src)) }, "Load image"));
  return box;
}

function renderPart(part) {
  switch (part.type) {
    case "text": return h("div", { class: "text" }, part.text);
    case "thinking": return h("details", {}, h("summary", { class: "muted" }, "Thinking"), h("div", { class: "text muted" }, part.text));
    case "image": return /^data:/i.test(part.src) ? image(part.src) : remoteImage(part.src);
    case "tool_call":
      return h("div", { class: "tool-call" }, h("div", { class: "name" }, `→ ${part.name || "tool"}`, part.id ? h("span", { class: "faint" }, `  ${part.id}`) : null), h("pre", {}, part.args));
    case "tool_result":
      return h("div", { class: "tool-call" }, h("div", { class: "name" }, `← result${part.id ? ` of ${part.id}` : ""}`, part.error ? " (error)" : ""), h("pre", {}, part.content));
    default: return h("pre", { class: "code" }, JSON.stringify(part.json, null, 2));
  }
}

export function renderMessages(messages) {
  return h("div", { class: "messages" }, messages.map((message) =>
    h("div", { class: ["message", message.role], "data-role": message.role },
      h("div", { class: "role" }, message.role),
      message.parts.length ? message.parts.map(renderPart) : h("div", { class: "faint" }, "(empty)"))));
}
