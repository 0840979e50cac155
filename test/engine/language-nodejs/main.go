// Command pulumi-language-nodejs stands in for Pulumi's Node.js language host: it runs the
// project's program (Run) and starts local Node policy packs (RunPlugin, kind "analyzer"), the two
// things the CLI asks of a Node host for preview, up, refresh, destroy and the stack commands.
//
// Why it exists: the real host (sdk/nodejs/cmd/pulumi-language-nodejs) is a module of its own that
// the Go module proxy does not serve (403), and in v3.276.0 the CLI starts a local pack directory
// only through the language plugin its PulumiPolicy.yaml names. Both methods follow the real host
// (main.go of that module) with the SDK's exported pieces:
//   - Run: node runs @pulumi/pulumi/cmd/run (found with require.resolve from the program's folder)
//     with the same flags (--monitor, --engine, --project, --stack, --pwd, --dry-run, --parallel,
//     ...), PULUMI_CONFIG in the host's "<ns>:config:<key>" form, PULUMI_CONFIG_SECRET_KEYS, and
//     PULUMI_NODEJS_TYPESCRIPT (ts-node with type-checking) unless Pulumi.yaml sets typescript: false.
//   - RunPlugin: node runs @pulumi/pulumi/cmd/run-policy-pack with the pack directory last, behind
//     sdk.PolicyProxy, which answers the engine's ConfigureStack and hands the stack configuration
//     to the pack as PULUMI_CONFIG / PULUMI_NODEJS_{PROJECT,STACK,...}.
//
// Left out, as this project needs none of them: the monitor proxy and sync pipes (only for
// deprecated synchronous invokes and tracing), debugging, bun, nodeargs, and the methods the CLI
// treats as optional when unimplemented (GetRequiredPackages, Handshake, InstallDependencies, About).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The SDK's exit status for "the program already told the user what is wrong".
const exitedAfterActionableMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string
	// Ended by the engine's Cancel call: stops a running program.
	canceled context.Context
	cancel   context.CancelFunc
}

func (*host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// locateModule resolves mod as Node does from dir, like the real host's locateModule.
func locateModule(mod, dir string) (string, error) {
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)) } catch (e) {`+
		` console.error(e.code === "MODULE_NOT_FOUND" ? "It looks like the Pulumi SDK has not been installed. Have you run npm ci?" : e.message);`+
		` process.exit(1) }`, mod)
	cmd := exec.Command("node", "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return "", errors.New(strings.TrimSpace(string(exit.Stderr)))
	}
	return strings.TrimSpace(string(out)), err
}

// typescriptEnv is what Pulumi.yaml's runtime options ask of ts-node (typescript defaults to true).
func typescriptEnv(options *structpb.Struct) ([]string, error) {
	opts := options.AsMap()
	var env []string
	if ts, ok := opts["typescript"]; !ok || ts == true {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	} else if _, isBool := ts.(bool); !isBool {
		return nil, errors.New("typescript option must be a boolean")
	}
	if p, ok := opts["tsconfig"].(string); ok && p != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
	}
	if a, ok := opts["nodeargs"].(string); ok && a != "" {
		return nil, errors.New("the nodeargs option is not supported by this stand-in language host")
	}
	return env, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	fail := func(err error) (*pulumirpc.RunResponse, error) {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	dir := req.Info.ProgramDirectory
	runPath, err := locateModule("@pulumi/pulumi/cmd/run", dir)
	if err != nil {
		return fail(err)
	}
	// The host's config form, "<namespace>:config:<key>", which every SDK version reads.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return fail(err)
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return fail(err)
	}
	secretKeys, err := json.Marshal(append([]string{}, req.GetConfigSecretKeys()...))
	if err != nil {
		return fail(err)
	}
	tsEnv, err := typescriptEnv(req.Info.Options)
	if err != nil {
		return fail(err)
	}
	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	env = append(env, tsEnv...)

	args := []string{runPath}
	flagIf := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	flagIf("monitor", req.GetMonitorAddress())
	flagIf("engine", h.engine)
	flagIf("organization", req.GetOrganization())
	flagIf("project", req.GetProject())
	flagIf("root-directory", req.GetInfo().GetRootDirectory())
	flagIf("stack", req.GetStack())
	flagIf("pwd", dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagIf("parallel", strconv.Itoa(int(req.GetParallel())))
	args = append(append(args, req.Info.EntryPoint), req.GetArgs()...)

	// Stopped when the engine's request ends or it calls Cancel: SIGINT first, as the real host does.
	runCtx, stop := context.WithCancel(h.canceled)
	defer stop()
	context.AfterFunc(ctx, stop)
	cmd := exec.CommandContext(runCtx, "node", args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env, cmd.Stdout, cmd.Stderr = env, struct{ io.Writer }{os.Stdout}, struct{ io.Writer }{os.Stderr}
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit) && exit.ExitCode() == exitedAfterActionableMessage:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exit):
		return fail(fmt.Errorf("Program exited with non-zero exit code: %d", exit.ExitCode()))
	default:
		return fail(fmt.Errorf("Problem executing program (could not run language executor): %w", err))
	}
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

func (*host) RunPlugin(req *pulumirpc.RunPluginRequest, srv pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.Kind != "analyzer" {
		return status.Errorf(codes.Unimplemented, "this stand-in host only runs policy packs, not %q plugins", req.Kind)
	}
	ctx := srv.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(srv, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	dir := req.Info.ProgramDirectory
	runPath, err := locateModule("@pulumi/pulumi/cmd/run-policy-pack", dir)
	if err != nil {
		return err
	}
	tsEnv, err := typescriptEnv(req.Info.GetOptions())
	if err != nil {
		return err
	}
	env := append(req.Env, tsEnv...)

	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	cfg, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	if cfg != nil {
		add := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		add("PULUMI_NODEJS_ORGANIZATION", cfg.Organization)
		add("PULUMI_NODEJS_PROJECT", cfg.Project)
		add("PULUMI_NODEJS_STACK", cfg.Stack)
		add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(cfg.DryRun))
		if cfg.Config != nil {
			b, err := json.Marshal(cfg.Config)
			if err != nil {
				return err
			}
			add("PULUMI_CONFIG", string(b))
		}
	}

	args := append([]string{runPath}, req.Args...)
	cmd := exec.CommandContext(ctx, "node", append(args, dir)...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, stdout, stderr
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return err
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("policy pack exited with code %d", exit.ExitCode())
		}
		return fmt.Errorf("could not attach policy pack proxy: %w", err)
	}
	return closer.Close()
}

func main() {
	flag.String("tracing", "", "ignored")
	flag.String("runtime", "nodejs", "ignored")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	engine := flag.Arg(0)
	if engine != "" {
		// Exit when the engine goes away, like the real host.
		if err := rpcutil.Healthcheck(ctx, engine, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(err)
		}
	}
	done := make(chan bool)
	go func() { <-ctx.Done(); close(done) }()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: done,
		Init: func(s *grpc.Server) error {
			h := &host{engine: engine}
			h.canceled, h.cancel = context.WithCancel(context.Background())
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(err)
	}
}
