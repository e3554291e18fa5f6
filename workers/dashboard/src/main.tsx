import { render } from 'preact';
import './app.css';
import { App } from './app/app.tsx';
import { startData } from './app/data.ts';
import { startRouter } from './app/router.ts';
import { checkSession } from './app/session.ts';

// Routing first: a hash link of the last issue (e.g. a mailed `/#/invite/<token>`) becomes its path.
startRouter();
startData();
void checkSession();
const root = document.getElementById('app')!;
// index.html's "Loading…" is plain HTML that Preact would keep beside the app: clear it first.
root.replaceChildren();
render(<App />, root);
