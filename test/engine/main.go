// Command pulumi is the real Pulumi CLI assembled from the github.com/pulumi/pulumi/pkg/v3
// module (pinned in go.mod/go.sum) for the engine tests. Upstream's root command
// (NewPulumiCmd) lives in package main and cannot be imported, and `go install
// .../cmd/pulumi@vX` is refused because pkg/go.mod has replace directives, so this file
// only wires the importable subcommand constructors the tests and the Automation API use.
// The version is set at link time:
//
//	go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.276.0"
package main

import (
	"os"

	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/about"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/auth"
	cmdBackend "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/backend"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/cancel"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/cmd"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/config"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/install"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/operations"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/plugin"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/policy"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/stack"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/state"
	cmdVersion "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/version"
	"github.com/pulumi/pulumi/pkg/v3/cmd/pulumi/whoami"
	pkgWorkspace "github.com/pulumi/pulumi/pkg/v3/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/common/env"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/spf13/cobra"
)

func main() {
	var cwd, color string
	var verbose int
	var logFlow, logToStderr bool
	ws := pkgWorkspace.Instance
	root := &cobra.Command{
		Use: "pulumi", Short: "Pulumi CLI (engine-test build)", Version: version.Version,
		SilenceErrors: true, SilenceUsage: true,
		// The part of upstream's PersistentPreRunE the engine relies on: --cwd, --color, logging.
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			if err := cmdutil.SetGlobalColorization(color); err != nil {
				return err
			}
			if cwd != "" {
				if err := os.Chdir(cwd); err != nil {
					return err
				}
			}
			logging.InitLogging(logToStderr, verbose, logFlow)
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	f := root.PersistentFlags()
	f.StringVarP(&cwd, "cwd", "C", "", "Run pulumi as if it had been started in another directory")
	f.StringVar(&color, "color", "auto", "Colorize output. Choices are: always, never, raw, auto")
	f.BoolVarP(&cmdutil.Emoji, "emoji", "e", false, "Enable emojis in the output")
	f.BoolVar(&cmdutil.DisableInteractive, "non-interactive", false, "Disable interactive mode for all commands")
	f.IntVarP(&verbose, "verbose", "v", 0, "Enable verbose logging (e.g., v=3)")
	f.BoolVar(&logFlow, "logflow", false, "Flow log settings to child processes (like plugins)")
	f.BoolVar(&logToStderr, "logtostderr", false, "Log to stderr instead of to files")
	f.String("tracing", "", "Accepted for Automation API compatibility; ignored")

	root.AddCommand(
		auth.NewLoginCmd(ws, cmdBackend.DefaultLoginManager, env.Global()),
		auth.NewLogoutCmd(ws),
		whoami.NewWhoAmICmd(ws, cmdBackend.DefaultLoginManager),
		stack.NewStackCmd(),
		config.NewConfigCmd(ws),
		state.NewStateCmd(),
		install.NewInstallCmd(ws),
		operations.NewPreviewCmd(),
		operations.NewUpCmd(),
		operations.NewDestroyCmd(),
		operations.NewRefreshCmd(),
		operations.NewImportCmd(),
		cancel.NewCancelCmd(ws),
		policy.NewPolicyCmd(),
		plugin.NewPluginCmd(),
		cmdVersion.NewVersionCmd(),
		about.NewAboutCmd(ws),
	)
	root.CompletionOptions.DisableDefaultCmd = true

	if err := root.Execute(); err != nil {
		cmd.DisplayErrorMessage(root.Context(), err, root.ErrOrStderr())
		logging.Flush()
		os.Exit(cmd.ExitCodeFor(err))
	}
	logging.Flush()
}
