import { render } from "preact";
import { App } from "./app.js";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/components.css";
import "./styles/message.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
