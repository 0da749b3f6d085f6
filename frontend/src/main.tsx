import { render } from 'preact';
import { App } from './app';
import { interceptLinks } from './lib/router';
import { loadSession } from './lib/session';
import './styles/app.css';

const root = document.getElementById('app')!;
interceptLinks(document.body);
void loadSession();
render(<App />, root);
